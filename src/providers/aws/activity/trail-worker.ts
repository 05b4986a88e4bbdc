/** A parsing worker for CloudTrail log files (see local-files.ts): reads, gunzips and scans one file a task. */
import { workerData } from "node:worker_threads";
import { packChunk, packedTransferList, type PackedActivityChunk } from "../../../activity/event-chunk.js";
import { AddressRanges } from "../../../activity/networks.js";
import { serveWorkerTasks } from "../../../activity/worker-pool.js";
import { readTrailFileChunk, type TrailParseTask, type TrailWorkerData } from "./trail-logs.js";

const ranges = new AddressRanges((workerData as TrailWorkerData).cidrs);

serveWorkerTasks<TrailParseTask, PackedActivityChunk>((task) => {
  const packed = packChunk(readTrailFileChunk(task, { ranges }));
  return { result: packed, transfer: packedTransferList(packed) };
});
