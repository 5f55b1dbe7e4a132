// Modules the page's build makes (see web/vite.config.ts).
declare module 'virtual:rowmnist' {
  /** The gzipped digit subset as base64; '' when the page was built without the `mnist` package. */
  const digits: string;
  export default digits;
}
