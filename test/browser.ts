import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Page } from 'playwright-core'
import type { Teardown } from './helpers.js'

/**
 * A page of Debian's headless Chromium (`/usr/bin/chromium`, which `.ci/run`
 * installs) in a throwaway profile; the browser and the profile go when the
 * test ends.
 */
export async function browserPage (t: Teardown): Promise<Page> {
  const profile = await mkdtemp(join(tmpdir(), 'fpd-chromium-'))
  t.teardown(() => rm(profile, { recursive: true, force: true }))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  t.teardown(() => context.close())
  return context.pages()[0] ?? await context.newPage()
}
