#!/usr/bin/env node
// The installed command. The compiled CLI lives in dist/; `npm run build` (or `npm test`) produces it.

require("../dist/src/cli/main.js").main(process.argv.slice(2));
