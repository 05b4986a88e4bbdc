/** Every detection rule, in the order findings of equal severity are listed. */
import { credentialDistantNetworks } from "./credential-distant-networks.js";
import { deniedBurst } from "./denied-burst.js";
import { dormantIdentity } from "./dormant-identity.js";
import { firstSensitiveAction } from "./first-sensitive-action.js";
import { insideCredentialsOutside } from "./inside-credentials-outside.js";
import { newChain } from "./new-chain.js";
import { newNetwork } from "./new-network.js";
import { signInAnomalies } from "./sign-in-anomalies.js";
import type { Detection } from "./types.js";
import { unusualHours } from "./unusual-hours.js";

export const DETECTIONS: readonly Detection[] = [
  insideCredentialsOutside,
  credentialDistantNetworks,
  deniedBurst,
  firstSensitiveAction,
  newChain,
  dormantIdentity,
  signInAnomalies,
  newNetwork,
  unusualHours,
];
