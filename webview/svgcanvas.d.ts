// The part of svgcanvas (an SVG-recording CanvasRenderingContext2D) the panel uses; the package ships no types.
declare module 'svgcanvas' {
  export class Context {
    constructor(options: { width: number; height: number; document?: Document });
    width: number;
    height: number;
    font: string;
    textAlign: string;
    textBaseline: string;
    getSerializedSvg(fixNamedEntities?: boolean): string;
    getSvg(): SVGSVGElement;
    fill(...args: unknown[]): void;
    // Internals a subclass overrides or calls (see webview/charts.ts).
    __applyText(text: string, x: number, y: number, action: 'fill' | 'stroke'): void;
    __closestGroupOrSvg(): Element;
    __createElement(name: string, attributes: Record<string, unknown>, resetFill?: boolean): Element;
    __currentElement: Element;
    __applyTransformation(element: Element): void;
    __applyStyleToCurrentElement(action: 'fill' | 'stroke'): void;
  }
}
