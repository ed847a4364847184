/**
 * aws-local-stepfunctions 3 (the local state machine executor of the tests
 * and of `npm run demo`) uses Promise.withResolvers, which Node 22 added;
 * Node 20 lacks it. Importing this module adds it when missing.
 */
if (!('withResolvers' in Promise)) {
  Object.defineProperty(Promise, 'withResolvers', {
    value<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export {};
