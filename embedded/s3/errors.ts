// S3's error answers: a stable code, an HTTP status and S3's message, rendered as S3's XML error document.
import { xmlDocument, xmlElement } from './xml.ts'

export class S3Error extends Error {
  override name = 'S3Error'
  constructor (readonly code: string, readonly status: number, message: string, readonly fields: Record<string, string> = {}) {
    super(message)
  }
}

/** The errors this S3 answers with, by S3's code (messages as S3 words them). */
export const errors = {
  accessDenied: (message = 'Access Denied') => new S3Error('AccessDenied', 403, message),
  badDigest: (what: string) => new S3Error('BadDigest', 400, `The ${what} you specified did not match the calculated checksum.`),
  entityTooLarge: (max: number) => new S3Error('EntityTooLarge', 400, 'Your proposed upload exceeds the maximum allowed size', { MaxSizeAllowed: String(max) }),
  entityTooSmall: () => new S3Error('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed object size.'),
  incompleteBody: () => new S3Error('IncompleteBody', 400, 'You did not provide the number of bytes specified by the Content-Length HTTP header'),
  internal: () => new S3Error('InternalError', 500, 'We encountered an internal error. Please try again.'),
  invalidArgument: (message: string, name?: string, value?: string) =>
    new S3Error('InvalidArgument', 400, message, name === undefined ? {} : { ArgumentName: name, ArgumentValue: value ?? '' }),
  invalidDigest: () => new S3Error('InvalidDigest', 400, 'The Content-MD5 you specified was invalid.'),
  invalidPart: () => new S3Error('InvalidPart', 400, 'One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part\'s entity tag.'),
  invalidPartOrder: () => new S3Error('InvalidPartOrder', 400, 'The list of parts was not in ascending order. The parts list must be specified in order by part number.'),
  invalidRange: (size: number) => new S3Error('InvalidRange', 416, 'The requested range is not satisfiable', { ActualObjectSize: String(size) }),
  invalidRequest: (message: string) => new S3Error('InvalidRequest', 400, message),
  invalidUri: () => new S3Error('InvalidURI', 400, 'Couldn\'t parse the specified URI.'),
  keyTooLong: () => new S3Error('KeyTooLongError', 400, 'Your key is too long'),
  malformedXml: () => new S3Error('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema'),
  methodNotAllowed: (method: string) => new S3Error('MethodNotAllowed', 405, 'The specified method is not allowed against this resource.', { Method: method }),
  missingContentLength: () => new S3Error('MissingContentLength', 411, 'You must provide the Content-Length HTTP header.'),
  noSuchBucket: (bucket: string) => new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist', { BucketName: bucket }),
  noSuchKey: (key: string) => new S3Error('NoSuchKey', 404, 'The specified key does not exist.', { Key: key }),
  noSuchUpload: (uploadId: string) => new S3Error('NoSuchUpload', 404, 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId }),
  notImplemented: () => new S3Error('NotImplemented', 501, 'A header or query you provided implies functionality that this embedded S3 does not implement.'),
  preconditionFailed: (condition: string) => new S3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', { Condition: condition }),
  sha256Mismatch: () => new S3Error('XAmzContentSHA256Mismatch', 400, 'The provided \'x-amz-content-sha256\' header does not match what was computed.'),
  signatureMismatch: () => new S3Error('SignatureDoesNotMatch', 403, 'The request signature we calculated does not match the signature you provided. Check your key and signing method.')
}

/** S3's XML error document for `error`, with the request id. */
export function errorDocument (error: S3Error, resource: string, requestId: string): string {
  const fields = Object.entries(error.fields).map(([name, value]) => xmlElement(name, value))
  return xmlDocument('Error', [
    xmlElement('Code', error.code),
    xmlElement('Message', error.message),
    ...fields,
    xmlElement('Resource', resource),
    xmlElement('RequestId', requestId)
  ])
}
