// Parses an AsyncAPI document with the AsyncAPI project's own parser and
// exits non-zero when it reports any error. Usage: node check.mjs <file>
// (CI runs it on docs/asyncapi.yaml; see .ci/run).
import { readFile } from 'node:fs/promises';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';

const file = process.argv[2];
if (!file) {
  console.error('usage: node check.mjs <asyncapi.yaml>');
  process.exit(2);
}
const names = { [DiagnosticSeverity.Error]: 'error', [DiagnosticSeverity.Warning]: 'warning',
  [DiagnosticSeverity.Information]: 'info', [DiagnosticSeverity.Hint]: 'hint' };

const { document, diagnostics } = await new Parser().parse(await readFile(file, 'utf8'), { source: file });
let errors = 0;
for (const d of diagnostics) {
  if (d.severity === DiagnosticSeverity.Error) errors++;
  const where = d.path.length ? d.path.join('.') : '(document)';
  const line = d.range ? d.range.start.line + 1 : 0;
  console.log(`${file}:${line}: ${names[d.severity] ?? d.severity} ${d.code}: ${d.message} (at ${where})`);
}
if (errors > 0 || !document) {
  console.error(`${file}: ${errors} error(s): not a valid AsyncAPI document`);
  process.exit(1);
}
const channels = document.channels().length, messages = document.messages().length;
console.log(`${file}: valid AsyncAPI ${document.version()}: ${channels} channels, ${messages} messages, ${diagnostics.length} non-error diagnostic(s)`);
