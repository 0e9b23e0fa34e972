import t from 'tap'
import SwaggerParser from '@apidevtools/swagger-parser'
import { createConfig, lintFromString } from '@redocly/openapi-core'
import spectralCore from '@stoplight/spectral-core'
import rulesets from '@stoplight/spectral-rulesets'
import { documentedApp } from './fixtures/documented-app.js'

// One document, one run of each linter: they are slow to load, not to run.
t.test('the example app\'s document is lint-clean: swagger-parser, Redocly recommended-strict + RFC 7807 rule, Spectral spectral:oas', async (t) => {
  const app = await documentedApp()
  t.teardown(() => app.close())
  const doc = app.swagger()
  const source = JSON.stringify(doc, null, 2)

  await t.resolves(SwaggerParser.validate(structuredClone(doc) as never), 'swagger-parser validates')

  const config = await createConfig({ extends: ['recommended-strict'], rules: { 'operation-4xx-problem-details-rfc7807': 'error' } } as never)
  const redocly = await lintFromString({ source, absoluteRef: '/openapi.json', config })
  t.same(redocly.map((p) => `${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer ?? '?'}`), [], 'Redocly: no findings')

  const spectral = new spectralCore.Spectral()
  spectral.setRuleset({ extends: [rulesets.oas] } as never)
  const results = await spectral.run(source)
  t.same(results.map((r) => `${String(r.code)}: ${r.message} at ${r.path.join('.')}`), [], 'Spectral: no findings')
})
