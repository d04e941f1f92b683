// Request validation with TypeBox: querystring, params and headers arrive as text and are converted to the schema's
// types; a JSON body is taken as sent, so `"85"`, `true` or `["a.csv"]` is not quietly accepted as 85 or "a.csv".
import type { FastifySchemaCompiler } from 'fastify'
import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import Value from 'typebox/value'

export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const validator = Compile(schema)
  const convert = httpPart !== 'body'
  return (input: unknown) => {
    const value = convert ? Value.Convert(schema, Value.Default(schema, input)) : Value.Default(schema, input)
    return validator.Check(value) ? { value } : { error: validator.Errors(value) }
  }
}
