// Building DOM nodes from data without innerHTML: text is always text, so a filename cannot become markup.

type Child = Node | string | number | null | undefined | false
type Attributes = Record<string, string | number | boolean | undefined | EventListener>

/** An element with attributes (`on…` ones become listeners; false or undefined leaves one out) and children. */
export function h<K extends keyof HTMLElementTagNameMap> (tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  setAttributes(element, attributes)
  element.append(...nodes(children))
  return element
}

const SVG_NS = 'http://www.w3.org/2000/svg'

/** An SVG element, the same way. */
export function s (tag: string, attributes: Attributes = {}, ...children: Child[]): SVGElement {
  const element = document.createElementNS(SVG_NS, tag) as SVGElement
  setAttributes(element, attributes)
  element.append(...nodes(children))
  return element
}

function setAttributes (element: Element, attributes: Attributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue
    if (typeof value === 'function') element.addEventListener(name.slice(2), value)
    else element.setAttribute(name, value === true ? '' : String(value))
  }
}

function nodes (children: Child[]): Array<Node | string> {
  return children.flatMap(child => child === null || child === undefined || child === false ? [] : [typeof child === 'number' ? String(child) : child])
}

/** The element with this id; a missing one is a bug in index.html. */
export function byId<T extends HTMLElement = HTMLElement> (id: string): T {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`index.html has no #${id}`)
  return element as T
}
