// Preset places the search and event forms offer (beside "use my location").
export interface Place {
  name: string;
  lat: number;
  long: number;
}

export const PLACES: Place[] = [
  { name: "Accra", lat: 5.6037, long: -0.187 },
  { name: "Kumasi", lat: 6.6885, long: -1.6244 },
  { name: "Lagos", lat: 6.5244, long: 3.3792 },
  { name: "Nairobi", lat: -1.2921, long: 36.8219 },
];
