// Imports the modules named on the command line (TypeScript through tsx) and
// prints, as JSON, how many AWS SDK clients were constructed and which
// Powertools packages were loaded. Every SDK v3 client extends the `Client`
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
for (const file of process.argv.slice(2)) require(path.resolve(file));

const powertools = [
  ...new Set(
    Object.keys(require.cache)
      .map((k) => /@aws-lambda-powertools[\\/]([^\\/]+)/.exec(k)?.[1])
      .filter(Boolean),
  ),
].sort();
process.stdout.write(JSON.stringify({ sdkClients: clients, powertools }));
