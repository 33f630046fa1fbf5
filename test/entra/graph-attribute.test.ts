import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  normaliseAppId,
  readGraphAttribute,
  resolveGraphAttribute,
  toAttributeValue,
  userSelect,
} from "../../src/entra/graph-attribute.js";
import { UsageError } from "../../src/errors/sync-error.js";

const APP_ID = "B7D8E648-520F-41D3-B9C0-FDEB91768A0A";
const APP_HEX = "b7d8e648520f41d3b9c0fdeb91768a0a";

describe("resolveGraphAttribute: where a requested attribute lives in Graph", () => {
  const cases: Array<[string, string | undefined, { select: string; nestedKey?: string; source: string }]> = [
    ["department", undefined, { select: "department", source: "standard" }],
    ["Department", APP_ID, { select: "department", source: "standard" }],
    ["businessPhones", undefined, { select: "businessPhones", source: "standard" }],
    [
      "extensionAttribute3",
      undefined,
      { select: "onPremisesExtensionAttributes", nestedKey: "extensionAttribute3", source: "onPremises" },
    ],
    [
      "extensionattribute15",
      APP_ID,
      { select: "onPremisesExtensionAttributes", nestedKey: "extensionAttribute15", source: "onPremises" },
    ],
    [`extension_${APP_HEX}_miRole`, undefined, { select: `extension_${APP_HEX}_miRole`, source: "directoryExtension" }],
    ["costCenter", APP_ID, { select: `extension_${APP_HEX}_costCenter`, source: "directoryExtension" }],
    ["costCenter", undefined, { select: "costCenter", source: "unknown" }],
    ["extensionAttribute16", undefined, { select: "extensionAttribute16", source: "unknown" }],
  ];
  for (const [name, appId, expected] of cases) {
    it(`${name} with${appId ? "" : "out"} an app id → ${expected.select}${expected.nestedKey ? `.${expected.nestedKey}` : ""}`, () => {
      const attribute = resolveGraphAttribute(name, appId);
      assert.equal(attribute.requested, name);
      assert.equal(attribute.select, expected.select);
      assert.equal(attribute.nestedKey, expected.nestedKey);
      assert.equal(attribute.source, expected.source);
    });
  }

  it("a name that could inject into the query → UsageError", () => {
    assert.throws(() => resolveGraphAttribute("mail&$expand=x"), UsageError);
    assert.throws(() => resolveGraphAttribute(""), UsageError);
  });

  it("an app id that is not a GUID → UsageError", () => {
    assert.throws(() => resolveGraphAttribute("costCenter", "not-an-app"), UsageError);
    assert.equal(normaliseAppId(APP_ID), APP_HEX);
    assert.equal(normaliseAppId(APP_HEX.toUpperCase()), APP_HEX);
  });
});

describe("userSelect: the $select list for members", () => {
  it("always id, userPrincipalName, mail, accountEnabled, then each property once", () => {
    const attributes = ["givenName", "extensionAttribute1", "extensionAttribute2", "mail"].map((a) =>
      resolveGraphAttribute(a),
    );
    assert.deepEqual(userSelect(attributes), [
      "id",
      "userPrincipalName",
      "mail",
      "accountEnabled",
      "givenName",
      "onPremisesExtensionAttributes",
    ]);
  });
});

describe("readGraphAttribute: values as the engine sees them", () => {
  const user = {
    id: "u1",
    department: "Sales",
    businessPhones: ["+1 555", 42],
    accountEnabled: false,
    givenName: null,
    onPremisesExtensionAttributes: { extensionAttribute3: "Contractor", extensionAttribute4: null },
    [`extension_${APP_HEX}_level`]: 7,
    [`extension_${APP_HEX}_tags`]: ["a", "b"],
  };
  const read = (name: string, appId?: string) => readGraphAttribute(user, resolveGraphAttribute(name, appId));

  it("string → string, array → string[], number/boolean → String, null/absent → null", () => {
    assert.equal(read("department"), "Sales");
    assert.deepEqual(read("businessPhones"), ["+1 555", "42"]);
    assert.equal(read("accountEnabled"), "false");
    assert.equal(read("givenName"), null);
    assert.equal(read("jobTitle"), null);
  });

  it("extensionAttributeN from onPremisesExtensionAttributes; unset → null", () => {
    assert.equal(read("extensionAttribute3"), "Contractor");
    assert.equal(read("extensionAttribute4"), null);
    assert.equal(read("extensionAttribute5"), null);
  });

  it("directory extensions through the app id; absent → null", () => {
    assert.equal(read("level", APP_ID), "7");
    assert.deepEqual(read("tags", APP_ID), ["a", "b"]);
    assert.equal(read("missing", APP_ID), null);
  });

  it("objects are not attribute values", () => {
    assert.equal(toAttributeValue({ a: 1 }), null);
    assert.equal(toAttributeValue(undefined), null);
  });
});
