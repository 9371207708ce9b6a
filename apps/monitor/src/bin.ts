// The bin only loads the entry and runs it.
import { main } from "./main.js";

void main(process.argv.slice(2));
