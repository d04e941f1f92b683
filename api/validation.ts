// Request validation with TypeBox: querystring, params and headers arrive as text and are converted to the schema's
// types; a JSON body is taken as sent, so `"85"`, `true` or `["a.csv"]` is not quietly accepted as 85 or "a.csv".
import type { FastifySchemaCompiler } from 'fastify'
import type { TSchema } from 'typebox'
import { Compile, type Validator } from 'typebox/compile'
import Value from 'typebox/value'

export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const validator = Compile(schema)
  const convert = httpPart !== 'body'
  return (input: unknown) => {
    const value = convert ? Value.Convert(schema, Value.Default(schema, input)) : Value.Default(schema, input)
    return validator.Check(value) ? { value } : { error: named(validator.Errors(value), schema, httpPart) }
  }
}

type ValidationError = ReturnType<Validator['Errors']>[number]

/**
 * An unknown property is one error naming it and what is accepted ("querystring has unknown parameter "foo";
 * accepted: limit, cursor"), instead of TypeBox's two ("schema is false", "must not have additional properties").
 */
function named (errors: ValidationError[], schema: TSchema, httpPart: string | undefined): ValidationError[] {
  const what = httpPart === 'querystring' ? 'parameter' : 'property'
  const accepted = Object.keys((schema as { properties?: object }).properties ?? {})
  return errors.flatMap((error): ValidationError[] => {
    if (error.keyword === 'boolean' && error.schemaPath.endsWith('/additionalProperties')) return []
    if (error.keyword !== 'additionalProperties') return [error]
    const unknown = (error.params as { additionalProperties?: string[] }).additionalProperties ?? []
    const message = `has unknown ${what}${unknown.length === 1 ? '' : 's'} ${unknown.map(name => JSON.stringify(name)).join(', ')}; ` +
      (accepted.length === 0 ? `it takes no ${what}s` : `accepted: ${accepted.join(', ')}`)
    return [{ ...error, message }]
  })
}
