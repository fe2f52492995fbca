import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { _fail } from './_validation';

/** Service and role names: 2-63 letters, digits, `-` or `_`, not starting with `-` or `_`. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{1,62}$/;

/** What a valid service or role name looks like, for error messages. @internal */
export const _NAME_RULE = '2-63 letters, digits, - or _, not starting with - or _';

/** @internal */
export function _isMackerelName(value: string): boolean {
  return NAME.test(value);
}

/** True for `service:role` with both parts valid names. @internal */
export function _isRoleFullName(value: string): boolean {
  const parts = value.split(':');
  return parts.length === 2 && NAME.test(parts[0]) && NAME.test(parts[1]);
}

/** Throws unless `value` is a valid service (or role) name; tokens pass. @internal */
export function _checkName(scope: IConstruct, property: string, value: string, what = 'service name'): void {
  if (Token.isUnresolved(value)) return;
  if (!NAME.test(value)) {
    _fail(scope, property, value, `is not a valid Mackerel ${what}`, _NAME_RULE);
  }
}

/** Throws unless `value` is `service:role`; tokens pass. @internal */
export function _checkRoleFullName(scope: IConstruct, property: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  if (!_isRoleFullName(value)) {
    _fail(scope, property, value, 'is not a Mackerel role full name', `service:role, each part ${_NAME_RULE}`);
  }
}

/** Throws unless `value` is a service name or a `service:role` full name; tokens pass. @internal */
export function _checkScope(scope: IConstruct, property: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  if (!NAME.test(value) && !_isRoleFullName(value)) {
    _fail(scope, property, value, 'is not a Mackerel service name or role full name', `service or service:role, each part ${_NAME_RULE}`);
  }
}
