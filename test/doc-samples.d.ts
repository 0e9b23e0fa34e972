// Names the samples of README.md and docs/ use without declaring them, as a
// reader's app would have them (test/doc-samples.test.ts).
import type { FastifyInstance, FastifyRequest, FastifyReply, RouteHandlerMethod } from 'fastify'
import type { TObject, TNumber, TArray, TString } from '@sinclair/typebox'
import type problemDetailsPlugin from 'fastify-problem-details'
import type { DefinedProblemClass } from 'fastify-problem-details'

declare global {
  const app: FastifyInstance
  const request: FastifyRequest<{ Body: Record<string, unknown>, Params: { id: string } }>
  const reply: FastifyReply
  const problemDetails: typeof problemDetailsPlugin
  const OutOfCredit: DefinedProblemClass<TObject<{ balance: TNumber, accounts: TArray<TString> }>>
  const User: TObject<{ id: TNumber, name: TString }>
  const handler: RouteHandlerMethod
  const pay: RouteHandlerMethod
  const other: RouteHandlerMethod
  class PaymentGatewayError extends Error { publicMessage: string }
  class CardDeclined extends Error {}
  const db: { find (id: string): Promise<{ id: string, balance: number } | undefined> }
}
