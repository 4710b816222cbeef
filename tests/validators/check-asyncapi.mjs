// Validates an AsyncAPI document with the AsyncAPI Initiative's own parser (@asyncapi/parser):
//   node check-asyncapi.mjs FILE.json
// Prints every diagnostic; exits 1 when one is an error (or the document cannot be parsed).
import { readFileSync } from 'node:fs';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';

const file = process.argv[2];
if (!file) {
    console.error('usage: node check-asyncapi.mjs FILE.json');
    process.exit(2);
}
const parser = new Parser();
const { document, diagnostics } = await parser.parse(readFileSync(file, 'utf8'));
let errors = 0;
for (const d of diagnostics) {
    const level = d.severity === DiagnosticSeverity.Error ? 'error' : d.severity === DiagnosticSeverity.Warning ? 'warning' : 'info';
    if (d.severity === DiagnosticSeverity.Error)
        ++errors;
    console.log(`${level}: ${d.code}: ${d.message} at /${(d.path || []).join('/')}`);
}
if (!document || errors > 0) {
    console.error(`${file}: ${errors} error(s)`);
    process.exit(1);
}
console.log(`${file}: AsyncAPI ${document.version()} with ${document.channels().length} channels and ${document.operations().length} operations`);
