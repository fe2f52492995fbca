import { given, num, object, onlyFields, str, strings } from './_check';
import { badRequest, Json, route, Route } from './_http';
import { byId, replaceIn, Store, uniqueId } from './_state';
import { roleOf, serviceOf } from './services';

/** `id` is accepted so that an annotation read back can be sent again; PUT checks it against the path. */
const FIELDS = ['id', 'title', 'description', 'from', 'to', 'service', 'roles'];

/**
 * Checks a create or update body (PUT takes the same body as POST): every 400 before any 404, so
 * that a malformed body is reported as such whatever it names.
 */
function validateAnnotation(store: Store, body: unknown): Json {
  const o = object(body);
  onlyFields(o, FIELDS, 'a graph annotation');
  const title = str(o, 'title', { required: true, maxLength: 250 }) as string;
  const description = str(o, 'description', { maxLength: 1024 }) ?? '';
  // Whole seconds, a choice (index.ts): the docs give every time as one; a fraction is likely Date.now() / 1000 unrounded.
  const from = num(o, 'from', { required: true, integer: true }) as number;
  const to = num(o, 'to', { required: true, integer: true }) as number;
  const service = str(o, 'service', { required: true }) as string;
  const roles = strings(o, 'roles') ?? [];
  // An instant (from == to) is allowed: the docs' own example list holds one.
  if (from > to) throw badRequest('from must not exceed to');
  serviceOf(store, service);
  for (const role of roles) roleOf(store, service, role);
  const annotation: Json = { title, description, from, to, service };
  // `roles: []` names no role, so it is a whole-service annotation, which the API lists without `roles`.
  if (roles.length > 0) annotation.roles = roles;
  return annotation;
}

function annotationOf(store: Store, id: string): Json {
  return byId(store.state.graphAnnotations, id, 'graph annotation');
}

/** A required query parameter in epoch seconds, as the body takes them. */
function epochSeconds(query: { [name: string]: string }, name: string): number {
  const value = query[name];
  if (value === undefined) throw badRequest(`${name} is required`);
  if (!/^-?\d+$/.test(value)) throw badRequest(`${name} must be an integer`);
  return Number(value);
}

export function graphAnnotationRoutes(store: Store): Route[] {
  const list = () => store.state.graphAnnotations;
  return [
    route('GET', '/graph-annotations', ({ query }) => {
      const service = query.service;
      if (service === undefined || service === '') throw badRequest('service is required');
      const from = epochSeconds(query, 'from');
      const to = epochSeconds(query, 'to');
      serviceOf(store, service);
      // Inclusive at both ends: an annotation that only touches the period is listed.
      const overlapping = list().filter((a) => a.service === service && (a.from as number) <= to && (a.to as number) >= from);
      return { graphAnnotations: overlapping };
    }),
    route('POST', '/graph-annotations', ({ body }) => {
      if (object(body).id !== undefined) throw badRequest('id must not be given when creating a graph annotation');
      const annotation = { id: uniqueId(store.state), ...validateAnnotation(store, body) };
      list().push(annotation);
      return annotation;
    }),
    route('PUT', '/graph-annotations/:id', ({ params, body }) => {
      const old = annotationOf(store, params.id);
      const o = object(body);
      if (given(o, 'id') && o.id !== params.id) throw badRequest('id in the body does not match the graph annotation ID in the path');
      const next = { id: params.id, ...validateAnnotation(store, o) };
      replaceIn(list(), old, next);
      return next;
    }),
    route('DELETE', '/graph-annotations/:id', ({ params }) => {
      const annotation = annotationOf(store, params.id);
      replaceIn(list(), annotation);
      return annotation;
    }),
  ];
}
