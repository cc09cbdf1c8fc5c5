export interface EventDoc {
  name: string;
  description: string;
  /** `{ a, b?: … }`, or '' when the detail is not an object. */
  detail: string;
}
export declare function readEvents(root?: string): EventDoc[];
export declare function firesLines(events: EventDoc[]): string[];
export declare function readmeTable(events: EventDoc[]): string;
export declare function renderElement(text: string, events: EventDoc[]): string;
export declare function renderReadme(text: string, events: EventDoc[]): string;
/** [path, current text, generated text] of every generated file. */
export declare function generated(root?: string): [string, string, string][];
