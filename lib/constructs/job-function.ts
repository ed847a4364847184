import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Annotations, type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, LogLevel, NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Construct } from 'constructs';
import { SPLIT_WORKER_GLOBAL } from '../../lambdas/domain/rdb/split-worker-global.js';
import { isTokenList } from './network-parameters.js';

/**
 * The repository root when run from source (handlers bundled from
 * `lambdas/handlers/<name>.ts`); `release/` of the installed package when
 * compiled (handlers bundled from `release/lambdas/handlers/<name>.js`).
 */
const ROOT = path.join(__dirname, '..', '..');

/** Every handler in `lambdas/handlers/` a JobFunction runs (tsconfig.lib.json compiles each for the package). */
export const HANDLERS = [
  'alert-formatter',
  'drill-reaper',
  'drill-report',
  'drill-seed-copy',
  'drill-select',
  'drill-verify',
  'export',
  'freshness',
  'page-router',
  'probe',
  'prune',
  'report',
  'scrub',
  'snapshot',
  'verified-copy-rule',
  'verify-rdb',
] as const;
/** A handler file name under `lambdas/handlers/`, without extension. */
export type HandlerName = (typeof HANDLERS)[number];

/** Every function's runtime and architecture. */
const RUNTIME = { runtime: lambda.Runtime.NODEJS_24_X, architecture: lambda.Architecture.ARM_64 };

/**
 * How every handler is bundled: the one source of the esbuild options, for a
 * synth in this repository (from TypeScript) and in a team's app (from the
 * package's compiled JavaScript) alike.
 */
export const HANDLER_BUNDLING: BundlingOptions = {
  minify: true,
  sourceMap: true,
  target: 'node24',
  format: OutputFormat.CJS,
  // The runtime's SDK v3 is used (smaller bundles); Powertools and our code are bundled.
  externalModules: ['@aws-sdk/*'],
  forceDockerBundling: false,
  // Synth prints a summary of its own (bin/app.ts); esbuild's per-bundle size lines are noise there.
  logLevel: LogLevel.WARNING,
};

/** Handlers that verify RDB files on two threads: the split verification's worker ships beside their bundle. */
const SPLIT_WORKER_HANDLERS: readonly HandlerName[] = ['verify-rdb'];

/** The split worker's own bundle, beside a Lambda's `index.js`. */
export const SPLIT_WORKER_BUNDLE = 'rdb-split-worker.js';

/**
 * How `handler` is bundled: {@link HANDLER_BUNDLING}, and for a handler that
 * verifies on two threads, its worker (adapters/host/rdb-split-worker, from
 * `workerEntry`) bundled by esbuild after it as a file of its own beside
 * `index.js`, whose path the bundle's banner tells the adapter
 * (`SPLIT_WORKER_GLOBAL`): inside one bundle, the worker module has no
 * file of its own to load.
 */
export function handlerBundling(handler: HandlerName, workerEntry: string, esbuild: () => string | undefined = findEsbuild): BundlingOptions {
  if (!SPLIT_WORKER_HANDLERS.includes(handler)) return HANDLER_BUNDLING;
  const found = esbuild();
  const bin = found === undefined || found === 'esbuild' ? 'esbuild' : path.join(path.dirname(found), 'bin', 'esbuild');
  const quote = (arg: string): string => `'${arg.replace(/'/g, "'\\''")}'`;
  return {
    ...HANDLER_BUNDLING,
    banner: `globalThis.${SPLIT_WORKER_GLOBAL}=require("node:path").join(__dirname,${JSON.stringify(SPLIT_WORKER_BUNDLE)});`,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir, outputDir) => [
        [
          bin,
          workerEntry,
          '--bundle',
          '--platform=node',
          `--target=${HANDLER_BUNDLING.target}`,
          '--format=cjs',
          '--minify',
          '--external:@aws-sdk/*',
          '--log-level=warning',
          `--outfile=${path.join(outputDir, SPLIT_WORKER_BUNDLE)}`,
        ]
          .map(quote)
          .join(' '),
      ],
    },
  };
}

/** The split worker's source under `root` (the repository), or its compiled module (the package). */
function splitWorkerEntry(root: string, compiled: boolean): string {
  return path.join(root, 'lambdas', 'adapters', 'host', `rdb-split-worker.${compiled ? 'js' : 'ts'}`);
}

/** The TypeScript source of a handler under `root`; there in the repository, not in the package. */
export function handlerSource(handler: HandlerName, root: string = ROOT): string {
  return path.join(root, 'lambdas', 'handlers', `${handler}.ts`);
}

/** The package's compiled handler under `root` (tsconfig.lib.json writes it to `release/lambdas/handlers/`). */
export function compiledHandler(handler: HandlerName, root: string = ROOT): string {
  return path.join(root, 'lambdas', 'handlers', `${handler}.js`);
}

/**
 * The NodejsFunction props that bundle a handler from its source with
 * {@link HANDLER_BUNDLING}: what a synth in the repository does.
 */
export function handlerFromSource(handler: HandlerName, root: string = ROOT): NodejsFunctionProps {
  return {
    entry: handlerSource(handler, root),
    handler: 'handler',
    ...RUNTIME,
    depsLockFilePath: path.join(root, 'package-lock.json'),
    projectRoot: root,
    bundling: handlerBundling(handler, splitWorkerEntry(root, false)),
  };
}

/**
 * Where esbuild is for NodejsFunction's local bundling: resolved as the CDK
 * does (from aws-cdk-lib's folder up), else `esbuild` on PATH; undefined
 * when neither (the CDK would then build a Docker image to bundle in).
 */
export function findEsbuild(from: string = require.resolve('aws-cdk-lib/package.json')): string | undefined {
  try {
    return require.resolve('esbuild/package.json', { paths: [path.dirname(from)] });
  } catch {
    const found = spawnSync('esbuild', ['--version'], { encoding: 'utf8' });
    return found.status === 0 && !found.error ? 'esbuild' : undefined;
  }
}

/**
 * A handler's code, bundled at synth by NodejsFunction with
 * {@link HANDLER_BUNDLING}: from its TypeScript source where the source is
 * (this repository), else from the compiled JavaScript the package ships (a
 * team's app with `redis-dr/cdk` installed, esbuild installed beside
 * aws-cdk-lib; the bundle resolves the package's dependencies from its
 * node_modules). `root` and `esbuild` are for tests.
 */
export function handlerCode(handler: HandlerName, root: string = ROOT, esbuild: () => string | undefined = findEsbuild): NodejsFunctionProps {
  if (existsSync(handlerSource(handler, root))) return handlerFromSource(handler, root);
  const compiled = compiledHandler(handler, root);
  if (!existsSync(compiled)) {
    throw new Error(
      `redis-dr: the Lambda handler ${compiled} is missing and its source ${handlerSource(handler, root)} is not there to bundle: ` +
        'install redis-dr from a packed release (npm pack runs prepack, which compiles the handlers), or run `npm run build:lib` in a checkout',
    );
  }
  if (esbuild() === undefined) {
    throw new Error(
      `redis-dr: bundling the Lambda handlers at synth needs esbuild beside aws-cdk-lib, and none was found: npm install --save-dev esbuild@${ESBUILD_RANGE} (without it the CDK would bundle in Docker)`,
    );
  }
  // The app's own lock file and root (NodejsFunction's defaults): esbuild runs there, as for the app's own functions.
  return { entry: compiled, handler: 'handler', ...RUNTIME, bundling: handlerBundling(handler, splitWorkerEntry(root, true), esbuild) };
}

/** The esbuild versions the package's peer dependency allows (package.json `peerDependencies.esbuild`). */
export const ESBUILD_RANGE = '^0.28.2';

/** Props for {@link JobFunction}. */
export interface JobFunctionProps {
  /** Handler file name under `lambdas/handlers/`, without extension (e.g. `snapshot`). */
  readonly handler: HandlerName;
  /**
   * A fixed name for the execution role (another account's resource policy names it).
   * @default - a name the CDK generates
   */
  readonly roleName?: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /** Hard timeout of one invocation. */
  readonly timeout: Duration;
  /**
   * Memory size.
   * @default 512
   */
  readonly memorySizeMb?: number;
  /** Days to keep the function's logs (a CloudWatch Logs retention value). */
  readonly logRetention: logs.RetentionDays;
  /** Powertools service name (log field `service`, metric dimension `service`). */
  readonly serviceName: string;
  /** CloudWatch metrics namespace for Powertools EMF metrics. */
  readonly metricsNamespace: string;
  /**
   * Extra environment variables. Never put secrets here: use Secrets Manager.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * Queue that receives events of asynchronous invocations that failed every retry.
   * @default - no on-failure destination
   */
  readonly onFailureQueue?: sqs.IQueue;
  /**
   * Concurrent executions reserved for (and capping) the function.
   * @default - none: the account's shared pool
   */
  readonly reservedConcurrency?: number;
  /** Retries of a failed asynchronous invocation (0–2). */
  readonly asyncRetryAttempts: number;
  /** Oldest asynchronous event still worth running. */
  readonly maxEventAge: Duration;
  /**
   * Run in these subnets with these security groups (to reach Redis).
   * @default - not in a VPC
   */
  readonly network?: { readonly vpcId: string; readonly subnetIds: readonly string[]; readonly securityGroupIds: readonly string[] };
}

/**
 * A Lambda that runs one of our jobs (a handler in `lambdas/handlers/`) with
 * our defaults, the one Lambda shape every capability uses: Node.js 24 on
 * arm64, explicit memory and timeout, its own log group with retention, X-Ray
 * tracing, a role without AWS managed policies, and local esbuild bundling
 * (no Docker), from TypeScript in this repository or the package's compiled JavaScript.
 */
export class JobFunction extends Construct {
  /** The function. */
  public readonly function: NodejsFunction;
  /** The execution role; capabilities add their own least-privilege statements. */
  public readonly role: iam.Role;
  /** The function's log group. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: JobFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // A role of our own instead of AWSLambdaBasicExecutionRole (a managed policy
    // that may write to any log group): it writes only to its log group.
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `redis-dr ${props.handler} function`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    // Ids known at synth are imported one by one; a deploy-time list (network.fromSsm's parameters) is one token, which
    // only the function's VpcConfig takes as it is (as the governed-account aspect places functions).
    const deployTimeIds = props.network !== undefined && (isTokenList(props.network.subnetIds) || isTokenList(props.network.securityGroupIds));
    const network = props.network && !deployTimeIds ? vpcPlacement(this, props.network) : undefined;
    if (props.network) {
      this.role.addToPolicy(vpcAccessStatement());
    }

    this.function = new NodejsFunction(this, 'Function', {
      ...network,
      ...handlerCode(props.handler),
      description: props.description,
      memorySize: props.memorySizeMb ?? 512,
      timeout: props.timeout,
      ...(props.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      role: this.role,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      onFailure: props.onFailureQueue ? new SqsDestination(props.onFailureQueue) : undefined,
      retryAttempts: props.asyncRetryAttempts,
      maxEventAge: props.maxEventAge,
    });

    if (props.network && deployTimeIds) {
      (this.function.node.defaultChild as lambda.CfnFunction).vpcConfig = {
        subnetIds: [...props.network.subnetIds],
        securityGroupIds: [...props.network.securityGroupIds],
      };
    }

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) and, in a VPC, the EC2 network-interface calls Lambda makes for the function support no resource-level permissions.',
    });
  }
}

/**
 * What AWSLambdaVPCAccessExecutionRole grants, inline: the network interfaces
 * Lambda manages for a function in a VPC (no resource-level permissions).
 */
export function vpcAccessStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: [
      'ec2:CreateNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DeleteNetworkInterface',
      'ec2:AssignPrivateIpAddresses',
      'ec2:UnassignPrivateIpAddresses',
    ],
    resources: ['*'],
  });
}

/** A VPC, subnets and security groups from the config's ids (all imported, nothing created). */
export function vpcPlacement(
  scope: Construct,
  network: NonNullable<JobFunctionProps['network']>,
): { vpc: ec2.IVpc; vpcSubnets: ec2.SubnetSelection; securityGroups: ec2.ISecurityGroup[] } {
  // Availability zones only matter for subnet selection by type; the subnets are given by id.
  const vpc = ec2.Vpc.fromVpcAttributes(scope, 'Vpc', { vpcId: network.vpcId, availabilityZones: ['dummy'] });
  return {
    vpc,
    vpcSubnets: {
      subnets: network.subnetIds.map((id, i) => {
        const subnet = ec2.Subnet.fromSubnetId(scope, `Subnet${i}`, id);
        // A function's placement needs only the subnet id; nothing here reads or routes through its route table.
        Annotations.of(subnet).acknowledgeWarning(
          '@aws-cdk/aws-ec2:noSubnetRouteTableId',
          'Lambda placement uses the subnet id only; no route is added to the imported subnet.',
        );
        return subnet;
      }),
    },
    securityGroups: network.securityGroupIds.map((id, i) => ec2.SecurityGroup.fromSecurityGroupId(scope, `SecurityGroup${i}`, id)),
  };
}
