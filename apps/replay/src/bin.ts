// The bin only loads the entry.
import "./main.js";
