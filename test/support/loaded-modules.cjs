// Preloaded with `node -r` before a CLI run: on exit, writes to stderr one
// JSON line of the packages the process loaded (by top-level package name),
// so a test can check what a command loads and what it does not.
process.on('exit', () => {
  const packages = new Set();
  for (const file of Object.keys(require.cache)) {
    const m = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(file);
    if (m) packages.add(m[1].replace('\\', '/'));
  }
  process.stderr.write(`\nLOADED ${JSON.stringify([...packages].sort())}\n`);
});
