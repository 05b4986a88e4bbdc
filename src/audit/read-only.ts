/**
 * Opening the audit database for reading only (`wiam audit tail/search/show/stats/export/verify`).
 * A review must never change what it reviews: no schema migration, no journal-mode switch, no mode
 * change, and it must work on a copy an admin locked down (audit.db 0400 in a 0500 directory, an
 * evidence copy on read-only media).
 *
 * SQLite can only read a WAL-mode database in place if its `-shm` file exists or can be created.
 * When neither is possible, the database (and its `-wal`, which may hold the latest commits) is
 * copied into a private temporary directory and read there; the copy is removed on close.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
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
  if (!isFile) throw new UserFacingError("invalid_input", `audit log ${path}: not a regular file`);
  try {
    return { db: probe(new Database(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs })), copyDirectory: null };
  } catch (error) {
    if (!cannotReadInPlace(error)) throw error;
  }
  return openPrivateCopy(path, busyTimeoutMs);
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
