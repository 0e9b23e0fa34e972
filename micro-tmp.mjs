import { NotFound } from './dist/index.js'
import { readInit, ProblemError } from './dist/problem.js'
function bench (name, fn, n = 1e6) {
  for (let i = 0; i < 1e5; i++) fn()
  let best = Infinity
  for (let r = 0; r < 7; r++) {
    const t = process.cpuUsage(); for (let i = 0; i < n; i++) fn(); const u = process.cpuUsage(t)
    best = Math.min(best, (u.user + u.system) * 1000 / n)
  }
  console.log(name.padEnd(48), best.toFixed(0), 'ns')
}
let sink
bench('new NotFound(detail)', () => { sink = new NotFound('User 1 does not exist') })
bench('new ProblemError({status,detail})', () => { sink = new ProblemError({ status: 404, detail: 'User 1 does not exist' }) })
class E extends Error { constructor (m) { const l = Error.stackTraceLimit; Error.stackTraceLimit = 0; super(m); Error.stackTraceLimit = l } }
bench('E extends Error, toggle', () => { sink = new E('x') })
class E2 extends Error { constructor (m) { const l = Error.stackTraceLimit; Error.stackTraceLimit = 0; super(m); Error.stackTraceLimit = l; this.status = 404; this.type = 'about:blank'; this.title = 'Not Found'; this.detail = m; this.instance = undefined; this.headers = undefined; this.extensions = {} } }
bench('E2 + 7 own props', () => { sink = new E2('x') })
class E3 extends Error { constructor (m) { const l = Error.stackTraceLimit; Error.stackTraceLimit = 0; super(m); Error.stackTraceLimit = l; readInit(this, { status: 404, detail: m }) } }
bench('E3 + readInit', () => { sink = new E3('x') })
const t = {}
bench('readInit on plain', () => { const o = {}; readInit(o, { status: 404, detail: 'x' }); sink = o })
class NF extends ProblemError { constructor (d, x) { const text = typeof d === 'string' ? d : undefined; super(x === undefined ? { status: 404, detail: text } : { ...x, status: 404, detail: text }) } }
bench('hand NF extends ProblemError', () => { sink = new NF('User 1 does not exist') })
function make (status) { return class extends ProblemError { constructor (d, x) { const text = typeof d === 'string' ? d : undefined; super(x === undefined ? { status, detail: text } : { ...x, status, detail: text }) } } }
const M1 = make(404)
bench('factory class (1 made)', () => { sink = new M1('User 1 does not exist') })
const others = Array.from({ length: 40 }, (_, i) => make(400 + i))
bench('factory class (41 made, 1 used)', () => { sink = new others[4]('User 1 does not exist') })
