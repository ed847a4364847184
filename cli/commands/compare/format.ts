/** compare's report as text and JSON: shared with migrate --verify (cli/compare-report.ts). */
export * from '../../compare-report.js';
