// Drives an engine from its own OpenAPI description: for every operation it describes (but the
// WebSocket upgrade and routes served by functions or proxied), a request made from the
// description alone -- path parameters, a body generated from the request schema, credentials
// for the security scheme it names -- then checks that the answer is one the operation
// documents, that it is the documented success, and that a JSON body satisfies the documented
// schema (Ajv, JSON Schema 2020-12). A secured operation is also tried without credentials and
// must answer a documented 401.
//
//   node check-openapi-requests.mjs BASE_URL
//
// Environment: KEY_AUTH -- the key for apiKey schemes (key-auth). Exits 1 on any mismatch.
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const base = process.argv[2];
if (!base) {
    console.error('usage: node check-openapi-requests.mjs BASE_URL');
    process.exit(2);
}
const doc = await (await fetch(`${base}/openapi.json`)).json();
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const ROOT = 'urn:gatehouse:openapi';
ajv.addSchema({ $id: ROOT, components: doc.components });

let failures = 0;
let checked = 0;
const fail = (what) => {
    ++failures;
    console.log(`FAIL ${what}`);
};

const rebase = (schema) => JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#/', `"$ref":"${ROOT}#/`));
const resolve = (schema) => {
    let s = schema;
    while (s && s.$ref) {
        const path = s.$ref.replace(/^#\//, '').split('/');
        s = path.reduce((o, k) => o[k.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
    }
    return s;
};

// A value of `schema` made from the schema alone: required members only, the smallest values
// its bounds allow, the first of an enum.
const generate = (input, depth = 0) => {
    const schema = resolve(input) || {};
    if ('const' in schema) return schema.const;
    if (schema.enum) return schema.enum[0];
    if (schema.anyOf) return generate(schema.anyOf[0], depth + 1);
    if (schema.oneOf) return generate(schema.oneOf[0], depth + 1);
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    switch (type) {
    case 'object': {
        const out = {};
        for (const name of schema.required || [])
            out[name] = generate((schema.properties || {})[name], depth + 1);
        return out;
    }
    case 'array': return [];
    case 'string': return 'g'.repeat(Math.max(1, schema.minLength || 0));
    case 'integer': return Math.ceil(schema.minimum ?? 0);
    case 'number': return schema.minimum ?? 0;
    case 'boolean': return true;
    case 'null': return null;
    default: return {};
    }
};

const credentials = (op) => {
    const headers = {};
    for (const requirement of op.security || []) {
        for (const name of Object.keys(requirement)) {
            const scheme = doc.components.securitySchemes[name];
            if (scheme.type === 'apiKey' && scheme.in === 'header' && process.env.KEY_AUTH) {
                headers[scheme.name] = process.env.KEY_AUTH;
                return headers;
            }
        }
    }
    return headers;
};

const ids = {};   // collection (tag) -> an id the description's create operation made
const operations = [];
for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
        const tags = op.tags || [];
        if (path === '/ws' || tags.includes('functions') || tags.includes('proxied'))
            continue;
        const kind = method === 'post' && !path.includes('{id}') ? 0                  // create
            : method === 'get' ? 1                                                   // reads
            : method === 'post' && !/\/(delete)$/.test(path) ? 2                     // update, commands
            : 3;                                                                     // delete
        operations.push({ path, method, op, kind });
    }
}
operations.sort((a, b) => a.kind - b.kind);

for (const { path, method, op } of operations) {
    const collection = (op.tags || [])[0];
    let missing = false;
    const url = base + path.replace(/\{([^}]+)\}/g, (_, name) => {
        if (name === 'id') {
            if (!ids[collection]) missing = true;
            return encodeURIComponent(ids[collection] || '');
        }
        return 'x';
    });
    if (missing) {
        fail(`${method.toUpperCase()} ${path}: no id from the description's create operation for ${collection}`);
        continue;
    }
    const headers = { ...credentials(op) };
    let body;
    const requestSchema = op.requestBody?.content?.['application/json']?.schema;
    if (requestSchema) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(generate(requestSchema));
    } else if (method === 'post') {
        headers['content-type'] = 'application/json';
        body = '{}';
    }
    const sse = op.responses?.['200']?.content?.['text/event-stream'];
    const controller = new AbortController();
    const response = await fetch(url, { method: method.toUpperCase(), headers, body, signal: controller.signal });
    const status = String(response.status);
    const documented = op.responses[status] || op.responses.default;
    const label = `${method.toUpperCase()} ${path} -> ${status}`;
    ++checked;
    if (!documented) {
        fail(`${label}: not a documented answer (${Object.keys(op.responses).join(', ')})`);
        controller.abort();
        continue;
    }
    if (!status.startsWith('2'))
        fail(`${label}: a valid request was not answered with the documented success: ${await response.text()}`);
    if (sse) {
        if (!(response.headers.get('content-type') || '').startsWith('text/event-stream'))
            fail(`${label}: not an event stream`);
        controller.abort();
        console.log(`ok   ${label} (event stream)`);
        continue;
    }
    const text = await response.text();
    const [mediaType, content] = Object.entries(documented.content || {})[0] || [];
    if (content?.schema) {
        const type = (response.headers.get('content-type') || '').split(';')[0].trim();
        if (type !== mediaType)
            fail(`${label}: content type ${type}, documented ${mediaType}`);
        let value;
        try {
            value = JSON.parse(text);
        } catch (e) {
            fail(`${label}: not JSON: ${e.message}`);
            continue;
        }
        const validate = ajv.compile(rebase(content.schema));
        if (!validate(value))
            fail(`${label}: the body does not match the documented schema: ${ajv.errorsText(validate.errors)}`);
        if (status === '202' && op.responses['202'] && value.id && collection && !ids[collection])
            ids[collection] = value.id;
    }
    console.log(`ok   ${label}`);

    if ((op.security || []).length > 0) {
        const anonymous = await fetch(url, { method: method.toUpperCase(), headers: { 'content-type': 'application/json' }, body });
        ++checked;
        await anonymous.text();
        if (anonymous.status !== 401 || !op.responses['401'])
            fail(`${method.toUpperCase()} ${path} without credentials -> ${anonymous.status}, documented 401: ${!!op.responses['401']}`);
        else
            console.log(`ok   ${method.toUpperCase()} ${path} without credentials -> 401`);
    }
}
console.log(`${checked} requests made from the description, ${failures} failures`);
process.exit(failures > 0 ? 1 : 0);
