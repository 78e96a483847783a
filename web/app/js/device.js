// The phone's own abilities: its position (the browser gives WGS-84, which is what the API's
// coord_system "wgs84" means; never label it GCJ-02), and its camera's photos, made smaller
// before they are kept and sent over a weak network.

const MAX_SIDE = 1920;

function fix(position) {
  return {lng: position.coords.longitude, lat: position.coords.latitude, coord_system: "wgs84",
          accuracy_m: Math.round(position.coords.accuracy), at: new Date(position.timestamp).toISOString()};
}

export function positionError(error) {
  if (!("geolocation" in navigator)) return "本机不支持定位";
  return {1: "未允许定位：请在浏览器设置中允许本应用使用位置", 2: "暂时无法定位，请到开阔处重试",
          3: "定位超时，请重试"}[error?.code] || "定位失败，请重试";
}

// One position now.
export function here({timeout = 15_000, maximumAge = 30_000} = {}) {
  return new Promise((resolve, reject) => {
    if (!("geolocation" in navigator)) { reject(new Error(positionError())); return; }
    navigator.geolocation.getCurrentPosition((p) => resolve(fix(p)), (e) => reject(new Error(positionError(e))),
                                             {enableHighAccuracy: true, timeout, maximumAge});
  });
}

// Positions as the phone moves; returns the function that stops watching.
export function follow(onFix, onError) {
  if (!("geolocation" in navigator)) { onError?.(new Error(positionError())); return () => {}; }
  const id = navigator.geolocation.watchPosition((p) => onFix(fix(p)), (e) => onError?.(new Error(positionError(e))),
                                                 {enableHighAccuracy: true, maximumAge: 5_000});
  return () => navigator.geolocation.clearWatch(id);
}

// Metres between two WGS-84 points (haversine), for a patrol's running length.
export function metres(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(h));
}

// A camera photo as a JPEG no larger than MAX_SIDE on its long side; the original when the browser
// cannot decode it (the server then decides).
export async function shrink(file) {
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && file.type === "image/jpeg") { bitmap.close(); return file; }
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return await new Promise((resolve) => canvas.toBlob((blob) => resolve(blob || file), "image/jpeg", 0.85));
  } catch {
    return file;
  }
}
