import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Lab, startLab } from "../../sim/sandbox/lab.js";
import { seedTenant } from "./tenant.js";

// Bad input: the right exit status, a one-line message saying what to fix, no stack trace, zero MI writes.

let lab: Lab;
before(async () => {
  lab = await startLab();
  seedTenant(lab);
  lab.graph.directory.addGroup({ displayName: "Twin" });
  lab.graph.directory.addGroup({ displayName: "twin" });
});
after(() => lab.close());

const cases: {
  name: string;
  args: string[];
  env?: Record<string, string | undefined>;
  status: number;
  message: RegExp;
}[] = [
  { name: "unknown group", args: ["provision", "Nope"], status: 2, message: /no Entra group 'Nope'/ },
  {
    name: "ambiguous group name",
    args: ["provision", "TWIN"],
    status: 2,
    message: /'TWIN' matches 2 Entra groups: .*give the object id/,
  },
  { name: "filter matching nothing", args: ["provision", "--filter", "zz"], status: 2, message: /starts with 'zz'/ },
  {
    name: "invalid regex in --attributes-transformation",
    args: [
      "provision",
      "Sales",
      "--attributes-transformation",
      "[{'attr_name': 'username', 'action': '^(', 'method': 'match'}]",
    ],
    status: 2,
    message: /--attributes-transformation rule 1: invalid regex/,
  },
  { name: "no group at all", args: ["provision"], status: 2, message: /name at least one O365 group/ },
  {
    name: "unknown flag",
    args: ["provision", "Sales", "--frobnicate"],
    status: 2,
    message: /unknown option '--frobnicate'/,
  },
  { name: "bad --user-type", args: ["provision", "Sales", "-t", "boss"], status: 2, message: /boss/ },
  {
    name: "bad --max-removals",
    args: ["provision", "Sales", "--max-removals", "lots"],
    status: 2,
    message: /--max-removals/,
  },
  {
    name: "bad --mi-concurrency",
    args: ["provision", "Sales", "--mi-concurrency", "0"],
    status: 2,
    message: /--mi-concurrency or MI_CONCURRENCY: must be a whole number from 1 to 32/,
  },
  {
    name: "--username with a credential flag",
    args: ["provision", "Sales", "--username", "ann@contoso.com", "--client-secret", "s3cr3t-value"],
    status: 2,
    message: /--username takes Entra credentials from the environment only; remove --client-secret/,
  },
  {
    name: "--target-group with --username",
    args: ["provision", "Sales", "--username", "ann@contoso.com", "--target-group", "X"],
    status: 2,
    message: /--target-group cannot be combined with --username/,
  },
  {
    name: "missing MI URL",
    args: ["provision", "Sales"],
    env: { MI_URL: undefined },
    status: 2,
    message: /--mi-url or MI_URL is required/,
  },
  {
    name: "http Graph endpoint",
    args: ["provision", "Sales", "--graph-endpoint", "http://localhost:1"],
    status: 2,
    message: /must be an https URL/,
  },
  {
    name: "wrong Entra secret",
    args: ["provision", "Sales"],
    env: { O365_USERSYNC_CLIENT_SECRET: "wrong-secret-value" },
    status: 4,
    message: /Entra refused/,
  },
  {
    name: "wrong MI application key",
    args: ["provision", "Sales"],
    env: { MI_APPLICATION_KEY: "wrong-key-value" },
    status: 4,
    message: /MI/,
  },
  {
    name: "MI unreachable",
    args: ["provision", "Sales"],
    env: { MI_URL: "http://127.0.0.1:9" },
    status: 5,
    message: /MI/,
  },
];

for (const c of cases) {
  test(`bad input: ${c.name} → exit ${c.status}, one clear line, zero MI writes`, async () => {
    lab.mi.requests.reset();
    const run = await lab.runCli(c.args, c.env);
    assert.equal(run.status, c.status, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
    assert.match(run.stderr, c.message);
    assert.match(run.stderr, /^mi-o365-usersync: error: /m);
    assert.doesNotMatch(run.stderr, /\n\s+at .+\(.+:\d+:\d+\)/, "no stack trace without -v");
    assert.equal(lab.mi.requests.writes, 0);
    for (const secret of [
      "s3cr3t-value",
      "wrong-secret-value",
      "wrong-key-value",
      lab.graph.clientSecret,
      "sim-app-key",
    ]) {
      assert.ok(!run.stderr.includes(secret) && !run.stdout.includes(secret), `secret '${secret}' printed`);
    }
  });
}

test("bad input: no command → usage on stderr, exit 2", async () => {
  const run = await lab.runCli([]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /Usage: mi-o365-usersync \[options\] \[command\]/);
  assert.equal(run.stdout, "");
});
