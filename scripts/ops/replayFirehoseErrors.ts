import { mkdir, readdir, readFile, rename } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import {
  FIREHOSE_ERROR_PREFIX,
  FIREHOSE_REPLAYED_PREFIX,
  readFirehoseErrorObject,
} from "../../lambdas/sink/firehoseErrorRecords.js";
import type { FirehoseRow } from "../../lambdas/sink/firehoseSink.js";

/** Where the error objects are: the sink bucket on AWS, a directory locally. */
export interface ErrorObjectStore {
  /** Keys under `prefix`, oldest name first. */
  list(prefix: string): Promise<string[]>;
  read(key: string): Promise<Uint8Array>;
  /** Moves the object to `to` (after its rows were accepted again). */
  move(key: string, to: string): Promise<void>;
  /** For messages: `s3://bucket/` or the directory. */
  readonly where: string;
}

export function createS3ErrorObjectStore(s3: S3Client, bucket: string): ErrorObjectStore {
  return {
    where: `s3://${bucket}/`,
    async list(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const out = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async read(key) {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await out.Body?.transformToByteArray()) ?? new Uint8Array();
    },
    async move(key, to) {
      await s3.send(
        new CopyObjectCommand({ Bucket: bucket, Key: to, CopySource: `${bucket}/${encodeURI(key)}` }),
      );
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  };
}

/** The local object store: keys are paths under `dir` (as the Firehose stand-in writes them). */
export function createDirErrorObjectStore(dir: string): ErrorObjectStore {
  const walk = async (at: string): Promise<string[]> => {
    const entries = await readdir(at, { withFileTypes: true }).catch(() => []);
    const found: string[] = [];
    for (const e of entries) {
      const path = join(at, e.name);
      if (e.isDirectory()) found.push(...(await walk(path)));
      else if (!e.name.endsWith(".tmp")) found.push(relative(dir, path).split(sep).join("/"));
    }
    return found;
  };
  return {
    where: dir,
    list: async (prefix) => (await walk(join(dir, prefix))).sort(),
    read: (key) => readFile(join(dir, key)),
    async move(key, to) {
      await mkdir(dirname(join(dir, to)), { recursive: true });
      await rename(join(dir, key), join(dir, to));
    },
  };
}

export interface ReplayFirehoseErrorsParameters {
  readonly store: ErrorObjectStore;
  /** Puts rows to the delivery stream (firehoseSink.ts createFirehoseRowWriter): resolves when all were accepted. */
  readonly writeRows: (rows: readonly FirehoseRow[]) => Promise<void>;
  /** @default FIREHOSE_ERROR_PREFIX */
  readonly prefix?: string;
  /** Read and report, put nothing, move nothing. */
  readonly dryRun?: boolean;
  readonly onObject?: (key: string, rows: number) => void;
}

export interface ReplayFirehoseErrorsReturnType {
  readonly objects: number;
  readonly rows: number;
  readonly byTable: Readonly<Record<string, number>>;
  /** Firehose's reasons for the failed deliveries. */
  readonly reasons: readonly string[];
  /** Objects left in place because a line could not be read back, with why. */
  readonly keptBack: readonly { readonly key: string; readonly line: number; readonly reason: string }[];
}

const encoder = new TextEncoder();

/**
 * Re-drives what Firehose could not deliver: every object under the error prefix is read, its rows
 * are put to the stream again, and only then is the object moved under `firehose-errors-replayed/`.
 * Rows carry their table's unique keys and the Iceberg destination upserts on them, so a replay
 * repeated after a crash (rows put, object not yet moved) stores each row once. An object with a
 * line that is not a Tidemark row is not replayed and stays where it is, named with the reason.
 */
export async function replayFirehoseErrors(
  p: ReplayFirehoseErrorsParameters,
): Promise<ReplayFirehoseErrorsReturnType> {
  const prefix = p.prefix ?? FIREHOSE_ERROR_PREFIX;
  if (!prefix.startsWith(FIREHOSE_ERROR_PREFIX))
    throw new Error(`replay reads only under ${FIREHOSE_ERROR_PREFIX}, not ${prefix}`);
  const byTable: Record<string, number> = {};
  const reasons = new Set<string>();
  const keptBack: { key: string; line: number; reason: string }[] = [];
  let objects = 0;
  let rows = 0;
  for (const key of await p.store.list(prefix)) {
    const object = readFirehoseErrorObject(await p.store.read(key));
    if (object.unreadable.length > 0) {
      keptBack.push(...object.unreadable.map((u) => ({ key, ...u })));
      continue;
    }
    const encoded: FirehoseRow[] = object.rows.map((line) => {
      const table = (JSON.parse(line) as { table: string }).table;
      byTable[table] = (byTable[table] ?? 0) + 1;
      return { data: encoder.encode(`${line}\n`), observationId: observationIdOf(line), table };
    });
    for (const r of object.reasons) reasons.add(r);
    if (!p.dryRun) {
      await p.writeRows(encoded);
      await p.store.move(key, `${FIREHOSE_REPLAYED_PREFIX}${key.slice(FIREHOSE_ERROR_PREFIX.length)}`);
    }
    objects++;
    rows += encoded.length;
    p.onObject?.(key, encoded.length);
  }
  return { objects, rows, byTable, reasons: [...reasons], keptBack };
}

function observationIdOf(line: string): string {
  const id = (JSON.parse(line) as { observation_id?: unknown }).observation_id;
  return typeof id === "string" ? id : "";
}
