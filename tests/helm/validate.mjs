// Validates the objects of a `helm template` output against the Kubernetes API, offline, and
// writes them as a JSON array for the shell checks.
//
// Two checks, both from the npm packages kubernetes-models (Kubernetes 1.34 OpenAPI: core, apps,
// policy, networking.k8s.io) and @kubernetes-models/prometheus-operator (the CRD schemas of
// monitoring.coreos.com/v1: ServiceMonitor, PodMonitor, PrometheusRule):
//  1. each object against its kind's JSON schema (types, required fields, formats, enums,
//     patterns), with the ajv validators the packages compile from those schemas;
//  2. each object as a TypeScript object literal of its kind's declared type, so that tsc's
//     excess-property check rejects fields the API does not have (a misspelt `securityContxt`
//     passes the OpenAPI schema, which allows unknown fields; the API server would drop it).
// Plus what the API server checks on names and labels and the schemas leave out.
//
// Usage: node validate.mjs [--no-field-check] NODE_MODULES_DIR RENDERED.yaml OUT.json
//   --no-field-check skips check 2 (tsc takes seconds), for callers that only read the objects.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const fieldCheck = args[0] !== "--no-field-check";
if (!fieldCheck) args.shift();
const [modulesDir, renderedPath, outPath] = args;
if (!modulesDir || !renderedPath || !outPath) {
  console.error("usage: node validate.mjs [--no-field-check] NODE_MODULES_DIR RENDERED.yaml OUT.json");
  process.exit(2);
}
const load = (spec) => import(pathToFileURL(path.join(modulesDir, spec)).href);
const YAML = await load("yaml/dist/index.js");

const problems = [];
const text = fs.readFileSync(renderedPath, "utf8");
const objects = [];
for (const doc of YAML.parseAllDocuments(text, {
  // Kubernetes reads YAML 1.1 (0440 is octal there, 440 in YAML 1.2).
  version: "1.1", uniqueKeys: true, prettyErrors: true,
})) {
  const raw = doc.range ? text.slice(doc.range[0], doc.range[2]) : "";
  const source = /# Source: (\S+)/.exec(`${doc.commentBefore ?? ""}\n${raw}`)?.[1] ?? "?";
  for (const e of [...doc.errors, ...doc.warnings]) problems.push(`${source}: YAML: ${e.message}`);
  const object = doc.toJS();
  if (object === null || object === undefined) continue;
  objects.push({ source, object });
}
if (objects.length === 0) problems.push(`${renderedPath}: no objects`);

// apiVersion + kind -> the model module, relative to node_modules.
function modelPath({ apiVersion, kind }) {
  if (typeof apiVersion !== "string" || typeof kind !== "string") return null;
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "monitoring.coreos.com") {
    return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  }
  return group === "" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
}

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const labelName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
function checkLabels(where, labels) {
  for (const [key, value] of Object.entries(labels ?? {})) {
    const slash = key.lastIndexOf("/");
    const prefix = slash >= 0 ? key.slice(0, slash) : "";
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    if ((prefix && (prefix.length > 253 || !dns1123Subdomain.test(prefix))) ||
        name.length > 63 || !labelName.test(name)) {
      problems.push(`${where}: label key ${JSON.stringify(key)} is not a valid label name`);
    }
    if (typeof value !== "string" || value.length > 63 || !labelValue.test(value)) {
      problems.push(`${where}: label ${key}=${JSON.stringify(value)} is not a valid label value`);
    }
  }
}

const typed = [];
for (const [i, { source, object }] of objects.entries()) {
  const name = object?.metadata?.name;
  const where = `${source} (${object?.kind}/${name})`;
  const spec = modelPath(object ?? {});
  if (!spec || !fs.existsSync(path.join(modulesDir, `${spec}.js`))) {
    problems.push(`${where}: no schema for apiVersion ${object?.apiVersion} kind ${object?.kind}`);
    continue;
  }
  const module = await load(`${spec}.js`);
  const Model = module[object.kind];
  try {
    new Model(object).validate();
  } catch (error) {
    problems.push(`${where}: schema: ${error.message}`);
  }
  typed.push({ i, spec, object, where });

  if (typeof name !== "string" || name.length > 253 || !dns1123Subdomain.test(name)) {
    problems.push(`${where}: metadata.name is not a DNS-1123 subdomain`);
  }
  if (object.kind === "Service" && (name.length > 63 || !dns1035Label.test(name))) {
    problems.push(`${where}: a Service name must be a DNS-1035 label`);
  }
  checkLabels(where, object.metadata?.labels);
  checkLabels(`${where} selector`, object.spec?.selector?.matchLabels);
  checkLabels(`${where} pod template`, object.spec?.template?.metadata?.labels);
  checkLabels(`${where} selector`, object.kind === "Service" ? object.spec?.selector : undefined);
  for (const key of ["data", "binaryData"]) {
    for (const dataKey of Object.keys(object[key] ?? {})) {
      if (!/^[-._a-zA-Z0-9]+$/.test(dataKey) || dataKey.length > 253) {
        problems.push(`${where}: ${key} key ${JSON.stringify(dataKey)} is not a valid key`);
      }
    }
  }
}

// Unknown fields: every object as a literal of its declared type.
if (fieldCheck && typed.length > 0) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helm-validate-"));
  try {
    fs.symlinkSync(modulesDir, path.join(dir, "node_modules"));
    const lines = [];
    const owner = [];
    for (const { i, spec, object, where } of typed) {
      lines.push(`import type { I${object.kind} as T${i} } from ${JSON.stringify(spec)};`);
      owner.push(null);
    }
    for (const { i, object, where } of typed) {
      const body = `export const object${i}: T${i} = ${JSON.stringify(object, null, 2)};`.split("\n");
      for (const line of body) {
        lines.push(line);
        owner.push(where);
      }
    }
    fs.writeFileSync(path.join(dir, "objects.ts"), lines.join("\n") + "\n");
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, module: "nodenext", moduleResolution: "nodenext",
        target: "es2022", skipLibCheck: true, types: [],
      },
      files: ["objects.ts"],
    }));
    try {
      execFileSync(process.execPath, [path.join(modulesDir, "typescript/bin/tsc"), "-p", dir],
                   { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      const out = `${error.stdout ?? ""}${error.stderr ?? ""}`;
      let matched = false;
      for (const m of out.matchAll(/objects\.ts\((\d+),\d+\): error (TS\d+): (.*)/g)) {
        const line = Number(m[1]);
        problems.push(`${owner[line - 1] ?? "?"}: fields: ${m[3]} (at: ${lines[line - 1].trim()})`);
        matched = true;
      }
      if (!matched) problems.push(`tsc failed: ${out.trim()}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(`invalid: ${p}`);
  process.exit(1);
}
fs.writeFileSync(outPath, JSON.stringify(objects.map((o) => o.object), null, 1));
console.error(`valid: ${objects.length} objects (${objects.map((o) => o.object.kind).join(", ")})`);
