// Imports the modules named on the command line (TypeScript through tsx) and
// prints, as a JSON array of one entry per group, how many AWS SDK clients
// were constructed and which Powertools packages were loaded. Groups of modules separated by `--` are
// imported one group after the other, and each group's entry holds what its
// imports added (clients constructed, packages first loaded then): one
// process for several probes, the modules of an earlier group already loaded. Every SDK v3 client extends the `Client`
// class of @smithy/core/client: handing each SDK package a counting subclass
// counts clients, whoever constructs them.
const Module = require('node:module');
const path = require('node:path');

let clients = 0;
const counted = new Map();
const originalLoad = Module._load;
Module._load = function load(request, parent, isMain) {
  const loaded = originalLoad.call(this, request, parent, isMain);
  if (request === '@smithy/core/client' && loaded.Client && !counted.has(loaded)) {
    class CountedClient extends loaded.Client {
      constructor(...args) {
        super(...args);
        clients += 1;
      }
    }
    const wrapped = Object.create(loaded, { Client: { value: CountedClient, enumerable: true } });
    counted.set(loaded, wrapped);
  }
  return counted.get(loaded) ?? loaded;
};

require('tsx/cjs/api').register();

/** The Powertools packages loaded so far. */
const powertoolsLoaded = () =>
  new Set(
    Object.keys(require.cache)
      .map((k) => /@aws-lambda-powertools[\\/]([^\\/]+)/.exec(k)?.[1])
      .filter(Boolean),
  );

const groups = [[]];
for (const arg of process.argv.slice(2)) {
  if (arg === '--') groups.push([]);
  else groups.at(-1).push(arg);
}
const results = groups.map((files) => {
  const [clientsBefore, powertoolsBefore] = [clients, powertoolsLoaded()];
  for (const file of files) require(path.resolve(file));
  const powertools = [...powertoolsLoaded()].filter((p) => !powertoolsBefore.has(p)).sort();
  return { sdkClients: clients - clientsBefore, powertools };
});
process.stdout.write(JSON.stringify(results));
