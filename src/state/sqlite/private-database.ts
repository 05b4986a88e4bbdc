/**
 * A SQLite database in the data directory as the audit log opens its own: the file created mode
 * 0600 (in a 0700 directory) before SQLite touches it, WAL, and a busy timeout so two processes
 * of one user share it.
 */
import Database from "better-sqlite3";
import { prepareDatabaseFile } from "../../audit/store.js";

const BUSY_TIMEOUT_MS = 10_000;

export function openPrivateDatabase(path: string): Database.Database {
  prepareDatabaseFile(path);
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
