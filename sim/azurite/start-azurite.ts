// The in-process Azurite lives with `serve`, which embeds it; the tests, sandbox and benchmarks take it from there.
export { type RunningAzurite, type StartAzuriteOptions, startAzurite } from "../../src/serve/start-azurite.js";
