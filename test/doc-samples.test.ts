import t from 'tap'
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

// Every ```ts sample of README.md and docs/ compiles under strict, as a user
// would write it: each sample is its own module importing the published
// entry points ('fastify-problem-details', '/client', '/testing', resolved
// through package.json's exports to the built dist/). Fragments lean on a few
// names declared in test/doc-samples.d.ts (`app`, `request`, `OutOfCredit`, …);
// a sample's own declarations shadow them. Blocks tagged ```ts signature are
// reference listings, not code, and are skipped.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, '.tap', 'doc-samples')

interface Sample { file: string, index: number, line: number, code: string }

function samples (): Sample[] {
  const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => 'docs/' + f)]
  const found: Sample[] = []
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8')
    let index = 0
    for (const match of text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
      const line = text.slice(0, match.index).split('\n').length + 1
      found.push({ file, index: index++, line, code: match[1] })
    }
  }
  return found
}

t.test('every TypeScript sample in README.md and docs/ compiles under strict', async (t) => {
  const all = samples()
  t.ok(all.length >= 20, `${all.length} samples found`)
  rmSync(out, { recursive: true, force: true })
  mkdirSync(out, { recursive: true })
  const names = new Map<string, Sample>()
  for (const sample of all) {
    const name = join(out, `${sample.file.replace(/[/.]/g, '_')}_${sample.index}.ts`)
    // `export {}` makes every sample a module, so samples never see each other's names.
    writeFileSync(name, sample.code + '\nexport {}\n')
    names.set(name, sample)
  }
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    skipLibCheck: true,
    esModuleInterop: true,
    allowUnusedLabels: true,
    noUnusedLocals: false
  }
  const program = ts.createProgram([...names.keys(), join(root, 'test', 'doc-samples.d.ts')], options)
  const diagnostics = ts.getPreEmitDiagnostics(program)
  for (const d of diagnostics) {
    const sample = d.file === undefined ? undefined : names.get(resolve(d.file.fileName))
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n')
    if (sample === undefined) {
      t.fail(`${d.file?.fileName ?? 'compiler'}: ${message}`)
      continue
    }
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0)
    t.fail(`${sample.file}:${sample.line + line}: ${message}`)
  }
  t.equal(diagnostics.length, 0, 'no compile errors')
})
