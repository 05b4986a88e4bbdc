/**
 * Opening the audit database for reading only (`wiam audit tail/search/show/stats/export/verify`).
 * A review must never change what it reviews: no schema migration, no journal-mode switch, no mode
 * change, and it must work on a copy an admin locked down (audit.db 0400 in a 0500 directory, an
 * evidence copy on read-only media).
 *
 * SQLite can only read a WAL-mode database in place if its `-shm` file exists or can be created,
 * and reading in place creates `-wal` and `-shm` beside the database. So a database that was locked
 * down (no owner write bit on the file or its directory, or a directory this user cannot write) is
 * never read in place: it (and its `-wal`, which may hold the latest commits) is copied into a
 * private temporary directory and read there, and the copy is removed on close. A live log (a
 * writable file in a writable directory) is read in place, next to the servers writing it. (A
 * copy taken while someone else writes to a locked-down log could be torn; `verify` would then
 * report a break that a second run does not: such a log is normally not written at all.)
 */
import { accessSync, constants, copyFileSync, existsSync, mkdtempSync, rmSync, statSync, type Stats } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { UserFacingError } from "../errors.js";

export interface ReadOnlyDatabase {
  db: Database.Database;
  /** The private copy's directory when the original could not be read in place; removed on close. */
  copyDirectory: string | null;
}

/** SQLite errors that mean "cannot read this in place" rather than "this is not a database". */
const CANNOT_READ_IN_PLACE = ["SQLITE_READONLY", "SQLITE_CANTOPEN"];

export function openDatabaseReadOnly(path: string, busyTimeoutMs: number): ReadOnlyDatabase {
  let file: Stats;
  try {
    file = statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new UserFacingError(
        "not_found",
        `no audit log at ${path}: nothing has been recorded with this data directory`,
        "Check --data-dir or WIAM_DATA_DIR; the server creates the log on its first call.",
      );
    }
    throw new UserFacingError("not_found", `audit log ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  if (!file.isFile()) throw new UserFacingError("invalid_input", `audit log ${path}: not a regular file`);
  if (lockedDown(path, file)) return openPrivateCopy(path, busyTimeoutMs);
  try {
    return { db: probe(new Database(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs })), copyDirectory: null };
  } catch (error) {
    if (!cannotReadInPlace(error)) throw error;
  }
  return openPrivateCopy(path, busyTimeoutMs);
}

/** Permission bits say "do not write here" (they bind root's intent even where they cannot bind root). */
function lockedDown(path: string, file: Stats): boolean {
  if (process.platform === "win32") return false;
  const directory = dirname(path);
  if ((file.mode & 0o200) === 0 || (statSync(directory).mode & 0o200) === 0) return true;
  try {
    accessSync(directory, constants.W_OK);
    return false;
  } catch {
    return true;
  }
}

function openPrivateCopy(path: string, busyTimeoutMs: number): ReadOnlyDatabase {
  // mkdtemp creates the directory 0700: the copy is as private as the original.
  const directory = mkdtempSync(join(tmpdir(), "wiam-audit-read-"));
  try {
    const copy = join(directory, "audit.db");
    copyFileSync(path, copy);
    if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
    return { db: probe(new Database(copy, { fileMustExist: true, timeout: busyTimeoutMs })), copyDirectory: directory };
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    if (cannotReadInPlace(error) || (error as NodeJS.ErrnoException).code === "EACCES") {
      throw new UserFacingError("not_found", `audit log ${path}: cannot be read by this user`);
    }
    throw error;
  }
}

/** Opening is lazy in SQLite: a first read surfaces a file that cannot be read. */
function probe(db: Database.Database): Database.Database {
  try {
    db.prepare("SELECT count(*) FROM sqlite_master").get();
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function cannotReadInPlace(error: unknown): boolean {
  const code = typeof error === "object" && error !== null && "code" in error ? (error as { code: unknown }).code : undefined;
  return typeof code === "string" && CANNOT_READ_IN_PLACE.some((prefix) => code.startsWith(prefix));
}

export function removePrivateCopy(directory: string | null): void {
  if (directory !== null) rmSync(directory, { recursive: true, force: true });
}
