import { StringField, WhippyObject } from './whippy-fields.js';

/** A file on a message, campaign, template or step (a call's recording is a `.wav` one). */
export class WhippyAttachment extends WhippyObject {
  @StringField() url: string | null;
  /** A MIME type, e.g. `image/jpeg`, `audio/wav`. */
  @StringField() contentType: string | null;
}
