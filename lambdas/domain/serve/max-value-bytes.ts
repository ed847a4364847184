/**
 * The largest value `serve` answers (value-limit.ts checks it): a module of its own, importing only the key bound, so
 * the CLI's `serve` definition names it in its help without loading the value reader (about 40 ms of every command's
 * start, with the WebAssembly codecs it brings).
 */
import { DEFAULT_MAX_KEY_BYTES } from '../rdb/max-key-bytes.js';

/** 512 MiB: Redis's default proto-max-bulk-len; `serve --proto-max-bulk-len` lowers it. */
export const SERVE_MAX_VALUE_BYTES = DEFAULT_MAX_KEY_BYTES;
