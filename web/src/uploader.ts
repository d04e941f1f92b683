// The upload widget: Uppy's Dashboard, small files through SignedPut, large ones in parts through @uppy/aws-s3 on the
// API's S3 routes (Companion's shape), and Golden Retriever to pick a multipart upload up again after a reload.
import Uppy from '@uppy/core'
import Dashboard from '@uppy/dashboard'
import AwsS3 from '@uppy/aws-s3'
import GoldenRetriever from '@uppy/golden-retriever'
import '@uppy/core/css/style.min.css'
import '@uppy/dashboard/css/style.min.css'
import { filenameProblem } from '../../shared/filename.ts'
import { SignedPut } from './signed-put.ts'

/** Uppy's own threshold: files of 100 MiB or more go in parts (5 MiB or more each, at most 10,000 parts). */
const MULTIPART_FROM_BYTES = 100 * 1024 * 1024

interface UploadEvents {
  added: (name: string, size: number) => void
  progress: (name: string, sent: number, total: number) => void
  uploaded: (name: string) => void
  failed: (name: string, message: string) => void
}

export function startUploader (target: HTMLElement, events: UploadEvents): Uppy {
  const uppy = new Uppy({
    id: 'csv-uploads',
    autoProceed: true,
    onBeforeFileAdded: (file, files) => {
      // A ghost (a file restored after a reload without its bytes) is re-added under its old id: let it through.
      if (files[file.id]?.isGhost === true) return true
      const reason = filenameProblem(file.name ?? '')
      if (reason === undefined) return true
      uppy.info(`${file.name ?? 'This file'}: ${reason}`, 'error', 8000)
      return false
    }
  })
  uppy.use(Dashboard, {
    target,
    inline: true,
    height: 320,
    width: '100%',
    proudlyDisplayPoweredByUppy: false,
    hideProgressDetails: false,
    note: 'CSV, TSV or TXT, optionally gzipped',
    theme: 'light'
  })
  // Order matters: SignedPut sends the small files first; AwsS3 skips what is done and sends the rest in parts.
  uppy.use(SignedPut, { below: MULTIPART_FROM_BYTES })
  uppy.use(AwsS3, {
    companionEndpoint: window.location.origin,
    shouldUseMultipart: file => (file.size ?? 0) >= MULTIPART_FROM_BYTES
  })
  uppy.use(GoldenRetriever)

  uppy.on('file-added', file => events.added(file.name ?? file.id, file.size ?? 0))
  uppy.on('upload-progress', (file, progress) => {
    if (file !== undefined) events.progress(file.name ?? file.id, progress.bytesUploaded, progress.bytesTotal ?? file.size ?? 0)
  })
  uppy.on('upload-success', file => {
    if (file !== undefined) events.uploaded(file.name ?? file.id)
  })
  uppy.on('upload-error', (file, error) => {
    if (file !== undefined) events.failed(file.name ?? file.id, error.message)
  })
  return uppy
}
