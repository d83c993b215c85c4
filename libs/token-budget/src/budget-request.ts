/** Any request object (Express `Request`, Fastify `FastifyRequest`, or your own). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BudgetRequest = any;
/** Any response object (Express `Response`, Fastify `FastifyReply`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BudgetResponse = any;
