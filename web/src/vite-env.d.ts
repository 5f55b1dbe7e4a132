// Vite's client types (import.meta.glob, ?raw imports, ?worker URLs) for the page's sources.
/// <reference types="vite/client" />
