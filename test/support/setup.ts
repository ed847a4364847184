import 'aws-sdk-client-mock-vitest/extend';
// aws-local-stepfunctions 3 uses Promise.withResolvers (Node 22+); Node 20 lacks it.
import '../../demo/polyfills';
