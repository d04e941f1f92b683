// ApiServices whose every port rejects: the base of a test's services that overrides only the ports it exercises.
import type { ApiServices } from '../../api/services.ts'

export function failingServices (error: () => Error): ApiServices {
  const fail = async (): Promise<never> => { throw error() }
  return {
    presignUpload: fail,
    recordUpload: fail,
    getFile: fail,
    listFiles: fail,
    deleteFile: fail,
    dropUpload: fail,
    presignDownload: fail,
    changesAfter: fail,
    multipart: { create: fail, presignPart: fail, listParts: fail, complete: fail, abort: fail },
    getProfile: fail,
    checkReady: fail
  }
}
