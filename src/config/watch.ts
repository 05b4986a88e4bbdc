/**
 * Hot reload: the admin's config file is watched (and SIGHUP forces a reload). Editors save in
 * bursts (truncate, write, rename), so changes are debounced, and the directory is watched rather
 * than the file so a rename-on-save does not lose the watch.
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";

export function watchConfigFile(path: string, onChange: () => void, debounceMs = 200): () => void {
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  const name = basename(path);
  try {
    watcher = watch(dirname(path), (_event, file) => {
      if (file !== null && file.toString() !== name) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, debounceMs);
    });
    watcher.unref();
  } catch {
    // Some filesystems cannot be watched; SIGHUP still reloads.
  }
  return () => {
    clearTimeout(timer);
    watcher?.close();
  };
}
