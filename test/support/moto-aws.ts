/**
 * Every AWS service moto emulates, behind one loopback endpoint, for the
 * tests that run redis-dr's AWS path against an AWS nobody here wrote
 * (test/cli/moto/). moto answers S3, STS, ElastiCache (part), the Tagging
 * API, SNS, Secrets Manager, CloudFormation, CloudWatch, EventBridge
 * Scheduler and Step Functions on one port; what it lacks is answered here
 * by a shim of a few lines per call, pinned to the moto version it was
 * written against ({@link MOTO_GAPS}), so an upgrade that closes a gap is
 * noticed by test/cli/moto/moto-gaps.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { startMotoS3, type MotoS3 } from './moto.js';

/** The moto release the gaps below were measured on (`python3 -c 'import moto; print(moto.__version__)'`). */
export const MOTO_VERSION = '5.2.1';

/** The ElastiCache (awsQuery) actions moto 5.2.1 does not implement: it answers them with an HTML page (HTTP 500). */
export const MOTO_GAPS = {
  /** No serverless caches in moto: every account here has none, as an account without serverless caches answers. */
  DescribeServerlessCaches: '<ServerlessCaches/>',
  DescribeServerlessCacheSnapshots: '<ServerlessCacheSnapshots/>',
} as const;

/** Where moto deviates or lacks a call the suite does not shim; each is asserted in moto-gaps.test.ts. */
export const MOTO_DEVIATIONS = [
  // The seeding creates the member clusters DescribeReplicationGroups names.
  'elasticache:DescribeCacheClusters does not find the member clusters of a replication group',
  // Renamed by the shim (MOTO_TAG_TYPES); redis-dr's target selection filters by service (`elasticache`) and is not affected.
  'tag:GetResources names replication groups elasticache:replication-group (AWS: elasticache:replicationgroup)',
  // A snapshot's time is then read from its name (rdr-…), as for one still creating.
  'elasticache:DescribeSnapshots gives no NodeSnapshots',
  // Not shimmed: selftest and the export reconciler stop at the export start.
  'elasticache:CopySnapshot is not implemented',
  // Not shimmed: the report is PARTIAL and its Alarms section not collected.
  'cloudwatch:DescribeAlarmHistory is not implemented',
] as const;

/** The moto installed here. */
export function installedMotoVersion(): string {
  const r = spawnSync('python3', ['-c', 'import moto; print(moto.__version__)'], { encoding: 'utf8' });
  return r.stdout.trim();
}

/** moto behind a shim: `endpoint` for AWS_ENDPOINT_URL; `moto` the server itself (S3 client included). */
export interface MotoAws {
  readonly endpoint: string;
  readonly moto: MotoS3;
  /** The gap calls the shim answered so far (action names). */
  readonly shimmed: string[];
  stop(): Promise<void>;
}

/** The Tagging API's type names as AWS spells them → as moto 5.2.1 does. */
export const MOTO_TAG_TYPES: Readonly<Record<string, string>> = { 'elasticache:replicationgroup': 'elasticache:replication-group' };

/** A GetResources body with the type filters renamed to moto's (the signature does not cover what moto checks: it checks none). */
function tagTypeRenamed(target: string | string[] | undefined, body: Buffer): Buffer {
  if (target !== 'ResourceGroupsTaggingAPI_20170126.GetResources') return body;
  const input = JSON.parse(body.toString('utf8')) as { ResourceTypeFilters?: string[] };
  if (!input.ResourceTypeFilters) return body;
  input.ResourceTypeFilters = input.ResourceTypeFilters.map((t) => MOTO_TAG_TYPES[t] ?? t);
  return Buffer.from(JSON.stringify(input));
}

/** The awsQuery response of `action` with `members` as its result. */
function queryResponse(action: string, members: string): string {
  return `<${action}Response xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/"><${action}Result>${members}</${action}Result><ResponseMetadata><RequestId>moto-shim</RequestId></ResponseMetadata></${action}Response>`;
}

/** Starts moto and an HTTP proxy in front of it that answers {@link MOTO_GAPS} and forwards the rest unchanged. */
export async function startMotoAws(): Promise<MotoAws> {
  const moto = await startMotoS3();
  const target = new URL(moto.endpoint);
  const shimmed: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body.toString('latin1'))?.[1] as keyof typeof MOTO_GAPS | undefined;
      if (action && Object.hasOwn(MOTO_GAPS, action) && /elasticache/.test(String(req.headers.authorization))) {
        shimmed.push(action);
        res.writeHead(200, { 'content-type': 'text/xml' }).end(queryResponse(action, MOTO_GAPS[action]));
        return;
      }
      const sent = tagTypeRenamed(req.headers['x-amz-target'], body);
      const forward = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, 'content-length': String(sent.length) } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.on('error', (err) => res.writeHead(502).end(String(err)));
      forward.end(sent);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    moto,
    shimmed,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await moto.stop();
    },
  };
}
