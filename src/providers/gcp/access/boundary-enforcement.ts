/**
 * Which permissions a principal access boundary policy can block, by its enforcement version.
 *
 * Google lists, per enforcement version, the permissions a boundary with that version can block
 * (https://cloud.google.com/iam/docs/pab-blocked-permissions); each version also blocks everything
 * of the versions before it. A permission a policy's version does not list is not limited by that
 * policy at all: the boundary has no effect on it. The rows below are that page as read for this
 * release (versions 1 to 4), one row per service entry with the entry's own exceptions, in the deny
 * form Google writes (`service.googleapis.com/resource.verb`, `*` for any part).
 *
 * `latest` follows Google's default enforcement version, which moves as Google adds versions (the
 * documentation read names 4), and every version blocks what the ones before it do: a permission
 * some version up to 4 lists is blocked, one that none lists is undecided (a newer default may
 * block it). A version above 4 is read the same way. Google stores the version a policy was made
 * with, so a policy without one in the inventory (an older snapshot) is read as `latest`.
 */
import { denyPermissionToRoleForm } from "../collect/conditions.js";

/** The newest enforcement version this table knows, and Google's default as documented for this release. */
export const NEWEST_KNOWN_ENFORCEMENT_VERSION = 4;

interface Row {
  blocks: readonly string[];
  except?: readonly string[];
}

const V1: readonly Row[] = [
  { blocks: ["accessapproval.googleapis.com/requests.list", "accessapproval.googleapis.com/serviceaccounts.get", "accessapproval.googleapis.com/settings.*"] },
  { blocks: ["accesscontextmanager.googleapis.com/*"], except: ["accesscontextmanager.googleapis.com/gcpUserAccessBindings.*"] },
  {
    blocks: [
      "bigquery.googleapis.com/datasets.create", "bigquery.googleapis.com/datasets.delete", "bigquery.googleapis.com/datasets.get",
      "bigquery.googleapis.com/datasets.setIamPolicy", "bigquery.googleapis.com/datasets.update", "bigquery.googleapis.com/jobs.create",
      "bigquery.googleapis.com/jobs.delete", "bigquery.googleapis.com/jobs.list", "bigquery.googleapis.com/jobs.get",
      "bigquery.googleapis.com/models.create", "bigquery.googleapis.com/models.delete", "bigquery.googleapis.com/models.list",
      "bigquery.googleapis.com/models.updateMetadata", "bigquery.googleapis.com/routines.create", "bigquery.googleapis.com/routines.delete",
      "bigquery.googleapis.com/routines.list", "bigquery.googleapis.com/routines.update",
    ],
  },
  { blocks: ["binaryauthorization.googleapis.com/*"] },
  { blocks: ["logging.googleapis.com/logEntries.create", "logging.googleapis.com/logMetrics.*"] },
  {
    blocks: [
      "run.googleapis.com/authorizeddomains.*", "run.googleapis.com/configurations.get", "run.googleapis.com/configurations.list",
      "run.googleapis.com/domainmappings.*", "run.googleapis.com/services.create", "run.googleapis.com/services.delete",
      "run.googleapis.com/services.get", "run.googleapis.com/services.list", "run.googleapis.com/services.update",
      "run.googleapis.com/executions.*", "run.googleapis.com/jobs.create", "run.googleapis.com/jobs.delete", "run.googleapis.com/jobs.get",
      "run.googleapis.com/jobs.list", "run.googleapis.com/jobs.run", "run.googleapis.com/revisions.*", "run.googleapis.com/routes.get",
      "run.googleapis.com/routes.list", "run.googleapis.com/tasks.*",
    ],
  },
  {
    blocks: [
      "storage.googleapis.com/buckets.get", "storage.googleapis.com/buckets.getIamPolicy", "storage.googleapis.com/buckets.list",
      "storage.googleapis.com/buckets.setIamPolicy", "storage.googleapis.com/buckets.update", "storage.googleapis.com/hmacKeys.update",
      "storage.googleapis.com/objects.delete", "storage.googleapis.com/objects.get", "storage.googleapis.com/objects.setRetention",
    ],
  },
  {
    blocks: ["dataflow.googleapis.com/messages.list", "dataflow.googleapis.com/metrics.get", "dataflow.googleapis.com/snapshots.list", "dataflow.googleapis.com/workItems.*", "dataflow.googleapis.com/jobs.*"],
    except: ["dataflow.googleapis.com/jobs.snapshot"],
  },
  {
    blocks: [
      "datastore.googleapis.com/databases.create", "datastore.googleapis.com/databases.delete", "datastore.googleapis.com/databases.get",
      "datastore.googleapis.com/databases.getMetadata", "datastore.googleapis.com/databases.list",
    ],
  },
  { blocks: ["firebaserules.googleapis.com/*"] },
  {
    blocks: [
      "gkehub.googleapis.com/membershipbindings.*", "gkehub.googleapis.com/rbacrolebindings.*", "gkehub.googleapis.com/features.*",
      "gkehub.googleapis.com/fleet.create", "gkehub.googleapis.com/fleet.get", "gkehub.googleapis.com/fleet.patch", "gkehub.googleapis.com/locations.*",
      "gkehub.googleapis.com/memberships.*", "gkehub.googleapis.com/scopes.*",
    ],
    except: ["gkehub.googleapis.com/*.createTagBinding", "gkehub.googleapis.com/*.deleteTagBinding", "gkehub.googleapis.com/*.listEffectiveTags", "gkehub.googleapis.com/*.listTagBindings"],
  },
  {
    blocks: ["pubsub.googleapis.com/*"],
    except: ["pubsub.googleapis.com/*.getIamPolicy", "pubsub.googleapis.com/*.setIamPolicy", "pubsub.googleapis.com/schemas.delete", "pubsub.googleapis.com/schemas.validate", "pubsub.googleapis.com/subscriptions.consume"],
  },
  {
    blocks: [
      "redis.googleapis.com/instances.create", "redis.googleapis.com/instances.delete", "redis.googleapis.com/instances.failover",
      "redis.googleapis.com/instances.get", "redis.googleapis.com/instances.getAuthString", "redis.googleapis.com/instances.list",
      "redis.googleapis.com/instances.update", "redis.googleapis.com/instances.upgrade",
    ],
  },
  { blocks: ["aiplatform.googleapis.com/*"], except: ["aiplatform.googleapis.com/operations.*"] },
];

const V2: readonly Row[] = [
  { blocks: ["accesscontextmanager.googleapis.com/*"] },
  { blocks: ["containeranalysis.googleapis.com/*"] },
  {
    blocks: [
      "bigquery.googleapis.com/rowAccessPolicies.*", "bigquery.googleapis.com/datasets.*", "bigquery.googleapis.com/jobs.*",
      "bigquery.googleapis.com/models.*", "bigquery.googleapis.com/routines.*", "bigquery.googleapis.com/tables.*",
    ],
  },
  { blocks: ["bigquerydatapolicy.googleapis.com/*"] },
  { blocks: ["bigquerydatatransfer.googleapis.com/transfers.*"] },
  { blocks: ["beyondcorp.googleapis.com/*"] },
  { blocks: ["cloudasset.googleapis.com/*"] },
  { blocks: ["billing.googleapis.com/budgets.*"] },
  { blocks: ["cloudbuild.googleapis.com/*"] },
  { blocks: ["monitoring.googleapis.com/*"], except: ["monitoring.googleapis.com/metricsScopes.link", "monitoring.googleapis.com/timeSeries.list"] },
  { blocks: ["meshconfig.googleapis.com/*"] },
  {
    blocks: [
      "storage.googleapis.com/bucketOperations.*", "storage.googleapis.com/buckets.*", "storage.googleapis.com/managedFolders.*",
      "storage.googleapis.com/multipartUploads.*", "storage.googleapis.com/folders.*", "storage.googleapis.com/hmacKeys.*", "storage.googleapis.com/objects.*",
    ],
  },
  { blocks: ["cloudtrace.googleapis.com/*"] },
  {
    blocks: [
      "compute.googleapis.com/networkAttachments.*", "compute.googleapis.com/networkEdgeSecurityServices.*", "compute.googleapis.com/regionSecurityPolicies.*",
      "compute.googleapis.com/securityPolicies.*", "compute.googleapis.com/serviceAttachments.*", "compute.googleapis.com/routers.*",
    ],
  },
  { blocks: ["firebaserules.googleapis.com/*"] },
  { blocks: ["gkemulticloud.googleapis.com/*"] },
  { blocks: ["iap.googleapis.com/*"] },
  { blocks: ["redis.googleapis.com/*"] },
  { blocks: ["networkmanagement.googleapis.com/*"] },
  { blocks: ["networkservices.googleapis.com/edgeCacheKeysets.*", "networkservices.googleapis.com/edgeCacheOrigins.*", "networkservices.googleapis.com/edgeCacheServices.*"] },
  { blocks: ["recaptchaenterprise.googleapis.com/*"] },
  {
    blocks: ["cloudresourcemanager.googleapis.com/*"],
    except: [
      "cloudresourcemanager.googleapis.com/*.createPolicyBinding", "cloudresourcemanager.googleapis.com/*.deletePolicyBinding",
      "cloudresourcemanager.googleapis.com/*.searchPolicyBindings", "cloudresourcemanager.googleapis.com/*.updatePolicyBinding",
    ],
  },
  { blocks: ["videostitcher.googleapis.com/*"] },
];

const V3: readonly Row[] = [
  { blocks: ["essentialcontacts.googleapis.com/contacts.*"] },
  {
    blocks: ["iam.googleapis.com/denypolicies.*", "iam.googleapis.com/roles.*", "iam.googleapis.com/serviceAccountKeys.*", "iam.googleapis.com/serviceAccounts.*"],
    except: [
      "iam.googleapis.com/serviceAccounts.createTagBinding", "iam.googleapis.com/serviceAccounts.deleteTagBinding", "iam.googleapis.com/serviceAccounts.getCertificateAs",
      "iam.googleapis.com/serviceAccounts.listEffectiveTags", "iam.googleapis.com/serviceAccounts.listTagBindings",
    ],
  },
  {
    blocks: [
      "dataproc.googleapis.com/autoscalingPolicies.*", "dataproc.googleapis.com/batches.*", "dataproc.googleapis.com/clusters.*", "dataproc.googleapis.com/jobs.*",
      "dataproc.googleapis.com/operations.*", "dataproc.googleapis.com/sessionTemplates.*", "dataproc.googleapis.com/sessions.*", "dataproc.googleapis.com/workflowTemplates.*",
    ],
  },
  { blocks: ["servicemanagement.googleapis.com/services.check", "servicemanagement.googleapis.com/services.report"] },
  { blocks: ["bigtable.googleapis.com/*"] },
  { blocks: ["bigtableadmin.googleapis.com/*"] },
  { blocks: ["cloudsql.googleapis.com/*"] },
  {
    blocks: [
      "networkservices.googleapis.com/endpointPolicies.*", "networkservices.googleapis.com/gateways.*", "networkservices.googleapis.com/grpcRoutes.*",
      "networkservices.googleapis.com/httpRoutes.*", "networkservices.googleapis.com/httpfilters.*", "networkservices.googleapis.com/meshes.*",
      "networkservices.googleapis.com/route_views.*", "networkservices.googleapis.com/serviceBindings.*", "networkservices.googleapis.com/serviceLbPolicies.*",
      "networkservices.googleapis.com/tcpRoutes.*", "networkservices.googleapis.com/tlsRoutes.*",
    ],
  },
  { blocks: ["trafficdirector.googleapis.com/*"] },
  { blocks: ["networkmanagement.googleapis.com/*"] },
  {
    blocks: [
      "addresses", "backendBuckets", "backendServices", "externalVpnGateways", "firewallPolicies", "firewalls", "forwardingRules", "globalAddresses",
      "globalForwardingRules", "healthChecks", "httpHealthChecks", "httpsHealthChecks", "interconnectAttachments", "interconnectLocations",
      "interconnectRemoteLocations", "interconnects", "networks", "packetMirrorings", "publicAdvertisedPrefixes", "publicDelegatedPrefixes",
      "regionBackendServices", "regionFirewallPolicies", "regionHealthChecks", "regionSslPolicies", "regionTargetHttpProxies", "regionTargetTcpProxies",
      "regionUrlMaps", "routes", "sslPolicies", "subnetworks", "targetGrpcProxies", "targetHttpProxies", "targetHttpsProxies", "targetInstances",
      "targetPools", "targetSslProxies", "targetTcpProxies", "targetVpnGateways", "urlMaps", "vpnGateways",
    ].map((resource) => `compute.googleapis.com/${resource}.*`),
  },
  { blocks: ["artifactregistry.googleapis.com/*"] },
  { blocks: ["pubsub.googleapis.com/*"] },
  { blocks: ["workflows.googleapis.com/*"] },
  { blocks: ["gkeonprem.googleapis.com/*"] },
  // The IAM v1 permissions of API keys are named serviceusage.apiKeys.*.
  { blocks: ["apikeys.googleapis.com/apikeys.*", "apikeys.googleapis.com/keys.*", "serviceusage.googleapis.com/apiKeys.*"] },
  { blocks: ["dns.googleapis.com/*"] },
  {
    blocks: [
      "datastore.googleapis.com/backupSchedules.*", "datastore.googleapis.com/backups.delete", "datastore.googleapis.com/backups.get", "datastore.googleapis.com/backups.list",
      "datastore.googleapis.com/databases.*", "datastore.googleapis.com/entities.*", "datastore.googleapis.com/indexes.*", "datastore.googleapis.com/locations.*",
      "datastore.googleapis.com/operations.*", "datastore.googleapis.com/userCreds.*",
    ],
  },
  {
    blocks: [
      "cloudkms.googleapis.com/autokeyConfigs.*", "cloudkms.googleapis.com/cryptoKeyVersions.create", "cloudkms.googleapis.com/cryptoKeyVersions.destroy",
      "cloudkms.googleapis.com/cryptoKeyVersions.get", "cloudkms.googleapis.com/cryptoKeyVersions.list", "cloudkms.googleapis.com/cryptoKeyVersions.restore",
      "cloudkms.googleapis.com/cryptoKeyVersions.update", "cloudkms.googleapis.com/cryptoKeyVersions.useToDecrypt", "cloudkms.googleapis.com/cryptoKeyVersions.useToEncrypt",
      "cloudkms.googleapis.com/cryptoKeyVersions.useToSign", "cloudkms.googleapis.com/cryptoKeyVersions.useToVerify", "cloudkms.googleapis.com/cryptoKeyVersions.viewPublicKey",
      "cloudkms.googleapis.com/ekmConfigs.*", "cloudkms.googleapis.com/importJobs.*", "cloudkms.googleapis.com/keyHandles.*", "cloudkms.googleapis.com/keyRings.*",
    ],
    except: ["cloudkms.googleapis.com/importJobs.useToImport"],
  },
  { blocks: ["orgpolicy.googleapis.com/*"] },
  {
    blocks: [
      "dataplex.googleapis.com/aspectTypes.*", "dataplex.googleapis.com/datascans.*", "dataplex.googleapis.com/entries.*", "dataplex.googleapis.com/entryGroups.create",
      "dataplex.googleapis.com/entryGroups.delete", "dataplex.googleapis.com/entryGroups.get", "dataplex.googleapis.com/entryGroups.getIamPolicy",
      "dataplex.googleapis.com/entryGroups.import", "dataplex.googleapis.com/entryGroups.list", "dataplex.googleapis.com/entryGroups.setIamPolicy",
      "dataplex.googleapis.com/entryGroups.update", "dataplex.googleapis.com/entryGroups.useContactsAspect", "dataplex.googleapis.com/entryGroups.useGenericAspect",
      "dataplex.googleapis.com/entryGroups.useGenericEntry", "dataplex.googleapis.com/entryGroups.useOverviewAspect", "dataplex.googleapis.com/entryGroups.useSchemaAspect",
      "dataplex.googleapis.com/entryTypes.*", "dataplex.googleapis.com/metadataJobs.*",
    ],
  },
  { blocks: ["events", "locations", "operations", "processes", "runs"].map((resource) => `datalineage.googleapis.com/${resource}.*`) },
  { blocks: ["gkehub.googleapis.com/fleets.*"] },
  { blocks: ["cloudfunctions.googleapis.com/*"] },
  { blocks: ["spanner.googleapis.com/*"] },
  { blocks: ["container.googleapis.com/*"] },
];

const V4: readonly Row[] = [
  { blocks: ["analyticshub.googleapis.com/dataExchanges.*"] },
  { blocks: ["capacityCommitments", "datasources", "readsessions", "reservations", "transfers"].map((resource) => `bigquery.googleapis.com/${resource}.*`) },
  { blocks: ["clouddeploy.googleapis.com/*"] },
  { blocks: ["file.googleapis.com/*"] },
  {
    blocks: ["groups", "hubRouteTables", "hubRoutes", "hubs", "internalRanges", "policyBasedRoutes", "regionalEndpoints", "spokes"].map(
      (resource) => `networkconnectivity.googleapis.com/${resource}.*`,
    ),
  },
  { blocks: ["privateca.googleapis.com/*"] },
  {
    blocks: [
      "oauthClientCredentials", "oauthClients", "workforcePoolProviderKeys", "workforcePoolProviders", "workforcePoolSubjects", "workforcePools",
      "workloadIdentityPoolNamespaces", "workloadIdentityPoolProviderKeys", "workloadIdentityPoolProviders", "workloadIdentityPools",
    ].map((resource) => `iam.googleapis.com/${resource}.*`),
    except: ["iam.googleapis.com/*.createPolicyBinding", "iam.googleapis.com/*.deletePolicyBinding", "iam.googleapis.com/*.searchPolicyBindings", "iam.googleapis.com/*.updatePolicyBinding"],
  },
  { blocks: ["livestream.googleapis.com/*"] },
  { blocks: ["documentai.googleapis.com/*"] },
  { blocks: ["securitycentermanagement.googleapis.com/*"] },
  { blocks: ["cloudsecurityscanner.googleapis.com/*"] },
  { blocks: ["securitycenter.googleapis.com/*"] },
  { blocks: ["cloudquotas.googleapis.com/*"] },
  { blocks: ["recommender.googleapis.com/*"] },
  { blocks: ["alloydb.googleapis.com/*"], except: ["alloydb.googleapis.com/databases.*"] },
  { blocks: ["apphub.googleapis.com/*"] },
  {
    blocks: ["integrations.googleapis.com/*"],
    except: [
      "apigeeauthconfigs.*", "apigeecertificates.*", "apigeeintegrations.*", "apigeeintegrationvers.*", "apigeeproducts.*", "apigeesfdcchannels.*",
      "apigeesfdcinstances.*", "apigeesuspensions.*", "integrations.deploy", "integrations.update", "locations.*", "securityauthconfigs.*",
      "securityexecutions.*", "securityintegrations.*", "securityintegrationvers.delete", "securityintegrationvers.deploy", "securityintegrationvers.list",
      "securityintegtemps.*", "securityproducts.*", "sfdcchannels.create", "sfdcchannels.list", "workflows.*",
    ].map((rest) => `integrations.googleapis.com/${rest}`),
  },
  { blocks: ["gkebackup.googleapis.com/*"] },
  { blocks: ["composer.googleapis.com/*"] },
  {
    blocks: [
      "datafusion.googleapis.com/instances.*", "datafusion.googleapis.com/locations.*", "datafusion.googleapis.com/namespaces.getIamPolicy",
      "datafusion.googleapis.com/namespaces.list", "datafusion.googleapis.com/namespaces.setIamPolicy", "datafusion.googleapis.com/operations.*",
    ],
  },
  { blocks: ["cloudkms.googleapis.com/*"], except: ["cloudkms.googleapis.com/locations.get", "cloudkms.googleapis.com/locations.list"] },
  { blocks: ["firebasestorage.googleapis.com/*"] },
  { blocks: ["cloudtranslate.googleapis.com/*"], except: ["cloudtranslate.googleapis.com/custommodels.*", "cloudtranslate.googleapis.com/translationmemories.*"] },
  { blocks: ["workstations.googleapis.com/*"] },
  { blocks: ["confidentialcomputing.googleapis.com/*"] },
  { blocks: ["contactcenteraiplatform.googleapis.com/*"] },
  { blocks: ["datamigration.googleapis.com/*"], except: ["datamigration.googleapis.com/mappingrules.*"] },
  {
    blocks: ["dataform.googleapis.com/*"],
    except: ["comments", "commentsnested", "commentthreads", "commentthreadsnested"].map((resource) => `dataform.googleapis.com/${resource}.*`),
  },
  { blocks: ["datastream.googleapis.com/*"] },
  { blocks: ["config.googleapis.com/*"] },
  { blocks: ["parallelstore.googleapis.com/*"] },
  { blocks: ["policysimulator.googleapis.com/*"] },
  { blocks: ["secretmanager.googleapis.com/*"] },
  { blocks: ["vpcaccess.googleapis.com/*"] },
  { blocks: ["serviceusage.googleapis.com/*"] },
  { blocks: ["cloudasset.googleapis.com/*"] },
  { blocks: ["kubernetesmetadata.googleapis.com/*"] },
  {
    blocks: [
      "consumers.getIamPolicy", "consumers.setIamPolicy", "services.create", "services.delete", "services.get", "services.getIamPolicy", "services.list",
      "services.setIamPolicy", "services.update",
    ].map((rest) => `servicemanagement.googleapis.com/${rest}`),
  },
  { blocks: ["backupdr.googleapis.com/*"], except: ["useReadOnlyForAlloydbCluster", "useReadOnlyForCloudSqlInstance", "useReadOnlyForFilestoreInstance"].map((verb) => `backupdr.googleapis.com/bvbackups.${verb}`) },
  {
    blocks: [
      "charts", "columnDataProfiles", "connections", "deidentifyTemplates", "estimates", "fileStoreProfiles", "inspecttemplates", "jobTriggers", "jobs",
      "projectDataProfiles", "storedInfoTypes", "subscriptions", "tableDataProfiles",
    ].map((resource) => `dlp.googleapis.com/${resource}.*`),
  },
  {
    blocks: [
      "branchRules.*", "hooks.*", "instances.access", "instances.create", "instances.delete", "instances.get", "instances.getIamPolicy",
      "instances.linkDeveloperConnect", "instances.list", "instances.setIamPolicy", "issuecomments.*", "issues.*", "locations.*", "operations.*",
      "prcomments.*", "pullRequests.*", "repositories.create", "repositories.delete", "repositories.fetch", "repositories.get", "repositories.getIamPolicy",
      "repositories.list", "repositories.setIamPolicy", "repositories.update",
    ].map((rest) => `securesourcemanager.googleapis.com/${rest}`),
  },
  {
    blocks: ["connectors.googleapis.com/*"],
    except: ["executeSqlQuery", "generateOpenAPISpec", "listenEvent"].map((verb) => `connectors.googleapis.com/connections.${verb}`),
  },
  {
    blocks: [
      "backups.*", "databases.delete", "databases.getIamPolicy", "databases.setIamPolicy", "databases.update", "federations.*", "imports.*", "locations.*",
      "operations.*", "services.*", "tables.delete", "tables.getIamPolicy", "tables.setIamPolicy", "tables.update",
    ].map((rest) => `metastore.googleapis.com/${rest}`),
    except: ["metastore.googleapis.com/federations.use", "metastore.googleapis.com/services.use"],
  },
];

/** A documented pattern in role form (`storage.objects.*`) as a test on role-form permissions. */
function matcher(pattern: string): RegExp {
  // The page writes `service.googleapis.com/*` and `service.googleapis.com/*.*` for "every permission of the service".
  const roleForm = denyPermissionToRoleForm(pattern.replace(/\/\*\.\*$/, "/*"));
  const parts = roleForm.split(".");
  const source = parts.map((part, index) => (part === "*" ? (index === parts.length - 1 ? ".+" : "[^.]+") : part.replace(/[\\^$+?()[\]{}|]/g, "\\$&"))).join("\\.");
  return new RegExp(`^${source}$`);
}

interface CompiledRow {
  blocks: RegExp[];
  except: RegExp[];
}

const COMPILED: ReadonlyArray<readonly CompiledRow[]> = [V1, V2, V3, V4].map((rows) =>
  rows.map((row) => ({ blocks: row.blocks.map(matcher), except: (row.except ?? []).map(matcher) })),
);

/** The first enforcement version that can block a role-form permission, or undefined when none up to the newest known does. */
export function firstBlockingVersion(permission: string): number | undefined {
  for (let index = 0; index < COMPILED.length; index++) {
    const rows = COMPILED[index] ?? [];
    if (rows.some((row) => row.blocks.some((re) => re.test(permission)) && !row.except.some((re) => re.test(permission)))) return index + 1;
  }
  return undefined;
}

export type Enforcement =
  | { blocks: "yes"; why: string }
  | { blocks: "no"; why: string }
  | { blocks: "maybe"; why: string };

/**
 * Can a boundary with `version` (as the policy states it: "1", "2", ..., "latest", or absent) block
 * `permission`? A permission with a wildcard is undecided unless its literal form is blocked.
 */
export function boundaryEnforces(version: string | undefined, permission: string): Enforcement {
  const first = permission.includes("*") ? undefined : firstBlockingVersion(permission);
  const numeric = version !== undefined && /^\d+$/.test(version) ? Number(version) : undefined;
  const known = numeric !== undefined && numeric >= 1 && numeric <= NEWEST_KNOWN_ENFORCEMENT_VERSION;
  if (known) {
    if (first !== undefined && first <= numeric) return { blocks: "yes", why: `enforcement version ${numeric} blocks ${permission} (listed from version ${first})` };
    if (!permission.includes("*")) {
      const when = first === undefined ? `no enforcement version up to ${NEWEST_KNOWN_ENFORCEMENT_VERSION} lists it` : `it is listed from version ${first}`;
      return { blocks: "no", why: `enforcement version ${numeric} does not block ${permission} (${when})` };
    }
    return { blocks: "maybe", why: `whether enforcement version ${numeric} blocks every permission ${permission} stands for is not decided` };
  }
  // Google stores the version a policy was made with; a policy without one here (an older snapshot, a hand-made inventory) is read as latest.
  const stated = version === undefined || version === "" || version === "latest" ? "enforcement version latest (Google's default)" : `enforcement version ${version}`;
  if (first !== undefined) return { blocks: "yes", why: `${stated} blocks ${permission} (listed from version ${first})` };
  return { blocks: "maybe", why: `${stated} may block ${permission}: no version up to ${NEWEST_KNOWN_ENFORCEMENT_VERSION} lists it, a newer one may` };
}
