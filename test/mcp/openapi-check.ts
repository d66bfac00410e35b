import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'vitest';

type Json = any;
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });

/** Validates answers against the server's own /openapi.json (as test/api/openapi.test.ts does). */
export async function openApiChecker(baseUrl: string): Promise<(method: string, docPath: string, status: number, body: unknown) => void> {
  const doc: Json = await (await fetch(`${baseUrl}/openapi.json`)).json();
  return (method, docPath, status, body) => {
    const op = doc.paths[docPath]?.[method];
    expect(op, `${method} ${docPath} is described`).toBeDefined();
    const r = op.responses[String(status)] ?? op.responses.default;
    const described = r?.$ref ? doc.components.responses[r.$ref.split('/').pop()] : r;
    const schema = described?.content?.['application/json']?.schema;
    expect(schema, `${method} ${docPath} answered ${status}, which the document does not describe`).toBeDefined();
    const validate = ajv.compile({ ...schema, components: doc.components });
    expect(validate(body) ? [] : validate.errors, `${method} ${docPath} (${status})`).toEqual([]);
  };
}
