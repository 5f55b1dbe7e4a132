// File reads and crash-safe writes that fail with one-line, user-facing messages.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileError } from '../../ir/errors.js';

/** A short reason for a failed file operation; Node's own messages repeat the path and the syscall. */
function reason(err: unknown, verb: 'read' | 'write'): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return verb === 'read' ? 'no such file' : 'cannot write: directory does not exist';
    case 'EACCES':
    case 'EPERM':
      return `cannot ${verb}: permission denied`;
    case 'EISDIR':
      return `cannot ${verb}: is a directory`;
    case 'ENOTDIR':
      return `cannot ${verb}: a parent of this path is not a directory`;
    case 'ENOSPC':
      return 'cannot write: no space left on device';
    default:
      return `cannot ${verb}: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The whole file as bytes; a missing or unreadable file is a user error naming the path. */
export function readFileBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw fileError(path, reason(err, 'read'));
  }
}

/**
 * Writes `bytes` so that `path` holds either its old content or the complete new content, never a torn file:
 * a killed run must not leave a half-written output that a later step would read as valid.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  // Same directory as the target, so that the rename stays on one file system and is atomic.
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx');
    writeFileSync(fd, bytes);
    // Without the fsync a crash after the rename can leave the new name pointing at empty blocks.
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // Already failing; the original error is the one worth reporting.
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // The temp file may never have been created.
    }
    throw fileError(path, reason(err, 'write'));
  }
  syncDirectory(dirname(path));
}

/** Makes the rename itself durable; best effort, since some platforms (Windows) cannot open directories. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Durability of the directory entry is a bonus, not a requirement.
  }
  if (fd !== undefined) {
    try {
      closeSync(fd);
    } catch {
      // Nothing was written through this descriptor.
    }
  }
}
