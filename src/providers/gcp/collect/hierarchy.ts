/**
 * Finds the scopes to read: the configured organization, folders and projects, everything
 * active below the organization and folders, and the ancestors of every configured folder or
 * project (their IAM and deny policies are inherited, so they must be read too).
 */
import type { GcpProviderConfig } from "../config.js";
import { type GapRecorder } from "./gaps.js";
import type { RawScope } from "./raw.js";
import { GCP_READ_APIS, type ResourceManagerReads } from "../reads.js";
import { isActiveState, type WireFolder, type WireProject } from "./wire.js";

/** Gap source of a failed organizations.get: only the organization's display name is missing. */
export const ORGANIZATION_NAME_GAP_SOURCE = `${GCP_READ_APIS.getOrganization.api} (display name)`;

export interface Hierarchy {
  scopes: Map<string, RawScope>;
  /** Project ids whose identities are collected. */
  projects: string[];
}

function projectScope(project: WireProject, inScope: boolean): RawScope {
  return {
    id: `projects/${project.projectId}`,
    kind: "project",
    name: project.projectId,
    ...(project.parent ? { parentId: project.parent } : {}),
    projectNumber: project.name.startsWith("projects/") ? project.name.slice("projects/".length) : undefined,
    ...(project.labels && Object.keys(project.labels).length > 0 ? { labels: { ...project.labels } } : {}),
    source: GCP_READ_APIS.listProjects.api,
    inScope,
  };
}

function folderScope(folder: WireFolder, source: string, inScope: boolean): RawScope {
  return { id: folder.name, kind: "folder", name: folder.displayName || folder.name, ...(folder.parent ? { parentId: folder.parent } : {}), source, inScope };
}

export async function discoverHierarchy(config: GcpProviderConfig, reads: ResourceManagerReads, gaps: GapRecorder): Promise<Hierarchy> {
  const scopes = new Map<string, RawScope>();
  const excluded = new Set(config.excludeProjects);

  const addOrganization = async (id: string, inScope: boolean): Promise<void> => {
    if (scopes.has(id)) return;
    // organizations.get gives the display name only (policies and children are read separately),
    // so its failure keeps the id as name and records a gap with no scope: no answer depends on it.
    const organization = await gaps.attempt(ORGANIZATION_NAME_GAP_SOURCE, undefined, `display name of ${id} not read; the organization id is shown instead`, () => reads.getOrganization(id));
    scopes.set(id, { id, kind: "organization", name: organization?.displayName || id, source: GCP_READ_APIS.getOrganization.api, inScope });
  };

  /** Every active folder and project below `root`, level by level (each level's reads run together). */
  const descend = async (root: string): Promise<void> => {
    let level = [root];
    while (level.length > 0) {
      const next: string[] = [];
      await Promise.all(
        level.map(async (parent) => {
          const [folders, projects] = await Promise.all([
            gaps.attempt(GCP_READ_APIS.listFolders.api, parent, "folders below it not listed", () => reads.listFolders(parent)),
            gaps.attempt(GCP_READ_APIS.listProjects.api, parent, "projects below it not listed", () => reads.listProjects(parent)),
          ]);
          for (const folder of folders ?? []) {
            if (!isActiveState(folder.state) || scopes.has(folder.name)) continue;
            scopes.set(folder.name, folderScope(folder, GCP_READ_APIS.listFolders.api, true));
            next.push(folder.name);
          }
          for (const project of projects ?? []) {
            if (!isActiveState(project.state) || excluded.has(project.projectId)) continue;
            scopes.set(`projects/${project.projectId}`, projectScope(project, true));
          }
        }),
      );
      level = next;
    }
  };

  /** Reads the folders and organization above `parentId` that are not known yet. */
  const ancestors = async (parentId: string | undefined): Promise<void> => {
    let current = parentId;
    while (current && !scopes.has(current)) {
      if (current.startsWith("organizations/")) {
        await addOrganization(current, false);
        return;
      }
      const id = current;
      const folder = await gaps.attempt(GCP_READ_APIS.getFolder.api, id, "ancestor folder not read; policies inherited from above it are unknown", () => reads.getFolder(id));
      if (!folder) {
        scopes.set(id, { id, kind: "folder", name: id, source: GCP_READ_APIS.getFolder.api, inScope: false });
        return;
      }
      scopes.set(id, folderScope(folder, GCP_READ_APIS.getFolder.api, false));
      current = folder.parent || undefined;
    }
  };

  if (config.organization) {
    const id = `organizations/${config.organization}`;
    await addOrganization(id, true);
    await descend(id);
  }
  for (const folderNumber of config.folders) {
    const id = `folders/${folderNumber}`;
    if (!scopes.has(id)) {
      const folder = await gaps.attempt(GCP_READ_APIS.getFolder.api, id, "folder not read", () => reads.getFolder(id));
      scopes.set(id, folder ? folderScope(folder, GCP_READ_APIS.getFolder.api, true) : { id, kind: "folder", name: id, source: GCP_READ_APIS.getFolder.api, inScope: true });
      if (folder) await ancestors(folder.parent || undefined);
    } else {
      const known = scopes.get(id);
      if (known) known.inScope = true;
    }
    await descend(id);
  }
  await Promise.all(
    config.projects.map(async (projectId) => {
      const id = `projects/${projectId}`;
      if (scopes.has(id)) return;
      const project = await gaps.attempt(GCP_READ_APIS.getProject.api, id, "project not read", () => reads.getProject(id));
      if (!project) {
        // Still try its identities: the project may be readable even if its metadata is not.
        scopes.set(id, { id, kind: "project", name: projectId, source: GCP_READ_APIS.getProject.api, inScope: true });
        return;
      }
      scopes.set(id, { ...projectScope(project, true), source: GCP_READ_APIS.getProject.api });
    }),
  );
  // Ancestors one at a time: projects often share them, and each is read once.
  for (const projectId of config.projects) await ancestors(scopes.get(`projects/${projectId}`)?.parentId);

  const projects = [...scopes.values()].filter((scope) => scope.kind === "project" && scope.inScope && !excluded.has(scope.name)).map((scope) => scope.name);
  return { scopes, projects };
}
