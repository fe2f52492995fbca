import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, sep } from 'node:path';

/** A plain JSON object (not null, not an array). @internal */
export function _isObject(value: unknown): value is { [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` with `map` applied to every string in it, at any depth (keys are kept). @internal */
export function _mapStrings(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((v) => _mapStrings(v, map));
  if (_isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, _mapStrings(v, map)]));
  return value;
}

/** As many links as Linux follows before ELOOP. */
const MAX_LINKS = 40;

/**
 * The file a write to `file` replaces: `file`, or, when it is a symbolic link (a state kept in a
 * private or synced place), the file its links lead to, whether or not that exists yet. A rename
 * onto the link itself would replace the link with a file of its own. @internal
 */
export function _writeTarget(file: string): string {
  let target = file;
  for (let links = 0; ; links++) {
    let link: string;
    try {
      link = readlinkSync(target);
    } catch {
      // EINVAL: not a link; ENOENT: nothing there yet (the write makes it); anything else, the write itself reports
      return target;
    }
    if (links === MAX_LINKS) throw new Error(`too many levels of symbolic links from ${file}`);
    // Relative to the link's directory as the system resolves it, which may itself be reached through a link.
    // Not normalized as text: `sub/../x` past a linked `sub` is in sub's target's parent, as the system reads it.
    target = canonical(isAbsolute(link) ? link : `${realpathSync.native(dirname(target))}${sep}${link}`);
  }
}

/**
 * `path` with its directory as the system resolves it (links and `..` followed in that order), so that
 * the temp file, the lock and messages name the real place; as it is when the directory is not there.
 */
function canonical(path: string): string {
  try {
    return join(realpathSync.native(dirname(path)), basename(path));
  } catch {
    return path;
  }
}

/**
 * Writes a value as indented JSON through a temp file and a rename, so that a run killed
 * mid-write leaves the previous file whole. Through a symbolic link, the file it leads to is
 * written, and the temp file is made beside that file, so that the rename stays in one
 * directory (atomic). The temp file's name is unique to the write, so that two writers never
 * write or rename each other's. @internal
 */
export function _writeJsonFile(file: string, value: unknown): void {
  const target = _writeTarget(file);
  const tmp = join(dirname(target), tempName(basename(target)));
  // The rename gives the file the temp file's permissions: a state made private (it holds channel
  // URLs, NoEcho parameters' values among them) stays so, and one made wider by hand too. Made with
  // them, never readable by more while it is written; set again, as the umask may have taken bits off.
  // A new file is private, as the AWS CLI makes its credentials file: the umask may narrow it further.
  const mode = existingMode(target);
  try {
    writeFileSync(tmp, `${JSON.stringify(value, undefined, 2)}\n`, { mode: mode ?? PRIVATE });
    if (mode !== undefined) restoreMode(tmp, mode);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** The longest file name most filesystems take (ext4, APFS, NTFS: 255 bytes or UTF-16 units). */
const NAME_MAX = 255;

/**
 * A temp file name beside `name`, unique to the write: `<name>.<pid>.<random>.tmp`. A name near
 * the limit would go past it with the suffix (ENAMETOOLONG, failing every save after the first
 * object was made): it is cut short then (`_nameWithSuffix`).
 */
function tempName(name: string): string {
  return _nameWithSuffix(name, `.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * `name` + `suffix` (a file beside `name`'s: its temp file, its lock), or, where that would pass
 * the 255-byte limit, `name` cut short with a hash of the whole name before `suffix`: the same for
 * the same name, so that two runs find one lock, and apart for two long names beside each other.
 * @internal
 */
export function _nameWithSuffix(name: string, suffix: string): string {
  if (Buffer.byteLength(name + suffix) <= NAME_MAX) return name + suffix;
  const hash = `~${createHash('sha256').update(name).digest('hex').slice(0, 12)}`;
  // By code points, so that no character is cut in half.
  const chars = [...name];
  while (Buffer.byteLength(chars.join('') + hash + suffix) > NAME_MAX) chars.pop();
  return chars.join('') + hash + suffix;
}

/** Read and write for the owner only. */
const PRIVATE = 0o600;

/**
 * Sets the bits the umask took off. A filesystem without permissions (FAT, some network mounts)
 * refuses chmod: the save goes on, as it did before it kept permissions, rather than fail an apply
 * after an object was made.
 */
function restoreMode(file: string, mode: number): void {
  try {
    chmodSync(file, mode);
  } catch {
    // the file keeps what the filesystem gives it
  }
}

/** The permission bits of a file, or undefined when there is none yet. */
function existingMode(file: string): number | undefined {
  try {
    // eslint-disable-next-line no-bitwise -- a mode is a bit set: its permission bits, without the file type
    return statSync(file).mode & 0o777;
  } catch {
    return undefined;
  }
}

/**
 * Whether a file is not there, as `existsSync` says, except for a file that may not be looked at
 * (a directory without search permission): `existsSync` says false for it too, and a state read so
 * would be taken for a first run and every object made again. @internal
 */
export function _absent(file: string, what: string): boolean {
  try {
    statSync(file);
    return false;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // a link loop and the like are refused by the save, naming the option
    if (code !== 'EACCES' && code !== 'EPERM') return true;
    throw new Error(`cannot read ${what}: ${(e as Error).message}; check the permissions of the file and its directories`);
  }
}

/**
 * The refusal of a file a newer cdk-mackerel wrote (a JSON object of an integer version above 1, the
 * only one read being 1), as `<what> is version N, ...; <advice>`, or undefined: what the file records
 * is whole for that version, so it is said apart from a damaged file, whose advice is to remove it.
 * The apply state and the emulator's saved objects say it alike.
 * @internal
 */
export function _newerVersion(parsed: unknown, what: string, advice: string): string | undefined {
  const written: unknown = _isObject(parsed) ? parsed.version : undefined;
  if (typeof written !== 'number' || !Number.isInteger(written) || written <= 1) return undefined;
  return `${what} is version ${written}, written by a newer cdk-mackerel (this one reads version 1); ${advice}`;
}

/**
 * Reads and parses a JSON file. One that cannot be read or parsed throws
 * `<what> is not readable JSON (<reason>)<advice>` on one line: Node's parse message quotes the
 * text around the error, newlines included, and the CLI reports errors as one line. @internal
 */
export function _readJsonFile(file: string, what: string, advice = ''): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${what} is not readable JSON (${(e as Error).message.replace(/\s*\n\s*/g, ' ')})${advice}`);
  }
}
