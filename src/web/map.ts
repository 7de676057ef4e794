// Data of the Leaflet maps, embedded as JSON and drawn by assets/map.js.
import type { Config } from '../core/config.ts';
import { type Html, html, jsonScript } from '../core/html.ts';

export interface MapMarker {
  lat: number;
  lon: number;
  name: string;
  href?: string;
  detail?: string;
}

export interface MapData {
  /** Tile URL template; null draws markers only (no request to a tile server). */
  tileUrl: string | null;
  attribution: string;
  markers: MapMarker[];
  circle?: { lat: number; lon: number; radiusKm: number; label: string };
  zoom?: number;
}

export function mapData(config: Config, markers: MapMarker[], circle?: MapData['circle'], zoom?: number): MapData {
  return { tileUrl: config.mapTileUrl, attribution: config.mapTileAttribution, markers, ...(circle ? { circle } : {}), ...(zoom ? { zoom } : {}) };
}

export function dataScript(id: string, data: unknown): Html {
  return html`<script type="application/json" id="${id}">${jsonScript(data)}</script>`;
}
