// Photos from the phone's camera, resized on the phone (longest side 1,600 px, JPEG) before they are queued.
// The capture date and the position travel as fields beside the file (a canvas drops EXIF).

const LONGEST_SIDE = 1600;
const QUALITY = 0.82;

async function bitmapOf(file) {
  if (window.createImageBitmap) {
    try {
      return await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (error) {
      // fall through to <img>
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** {blob, name, takenAt, lon, lat, accuracy} for one camera file; `position` is the phone's latest fix or null. */
export async function preparePhoto(file, position) {
  const image = await bitmapOf(file);
  const width = image.width || image.naturalWidth;
  const height = image.height || image.naturalHeight;
  const scale = Math.min(1, LONGEST_SIDE / Math.max(width, height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
  // A file's lastModified is when the camera wrote it: the capture time, kept as a field.
  const takenAt = new Date(file.lastModified || Date.now()).toISOString();
  return {
    blob,
    name: (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg",
    takenAt,
    width: canvas.width,
    height: canvas.height,
    lon: position ? position.lon : null,
    lat: position ? position.lat : null,
    accuracy: position ? position.accuracy : null,
  };
}
