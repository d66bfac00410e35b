import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'vitest';

type Json = Record<string, any>;

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });

/** The response `doc` gives for `method path` and `status` (the operation's own, or its default). */
function responseOf(doc: Json, method: string, path: string, status: number): Json | undefined {
  const op = doc.paths[path]?.[method];
  if (!op) throw new Error(`${method} ${path} is not described`);
  const r = op.responses[String(status)] ?? op.responses.default;
  // Error responses are $refs to components.responses.
  return r?.$ref ? doc.components.responses[r.$ref.split('/').pop()] : r;
}

/**
 * Calls `url` on `baseUrl` and validates the answer against the schema the
 * OpenAPI document `doc` gives for `method docPath` and the status answered;
 * returns the body (undefined for a 204, which must have none). `want`: the
 * status the answer must have.
 */
export async function checkAnswer(doc: Json, baseUrl: string, method: string, docPath: string, url: string, body?: unknown, want?: number): Promise<any> {
  const r = await fetch(`${baseUrl}${url}`, {
    method: method.toUpperCase(),
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const described = responseOf(doc, method, docPath, r.status);
  if (r.status === 204) {
    if (want !== undefined) expect(r.status).toBe(want);
    expect(described?.content, `${method} ${url}: 204 has no body`).toBeUndefined();
    return undefined;
  }
  const json = await r.json();
  if (want !== undefined) expect(r.status, JSON.stringify(json)).toBe(want);
  const schema = described?.content?.['application/json']?.schema;
  expect(schema, `${method} ${url} answered ${r.status}, which the document does not describe`).toBeDefined();
  // The schema's refs (#/components/schemas/…) resolve against the document's components.
  const validate = ajv.compile({ ...schema, components: doc.components });
  expect(validate(json) ? [] : validate.errors, `${method} ${url} (${r.status})`).toEqual([]);
  return json;
}
